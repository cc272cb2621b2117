CREATE TYPE "public"."service_mode" AS ENUM('real', 'mock');--> statement-breakpoint
CREATE TABLE "service_modes" (
	"service" text PRIMARY KEY NOT NULL,
	"mode" "service_mode" NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- The file's services are no longer stored (each instance builds them from its own file); only
-- the API's, each owned by a tenant, stay. Before this release the table held nothing else.
DELETE FROM "services" WHERE "source" = 'file';--> statement-breakpoint
ALTER TABLE "services" ADD COLUMN "tenant_id" uuid NOT NULL;--> statement-breakpoint
ALTER TABLE "services" ADD CONSTRAINT "services_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "services_tenant_idx" ON "services" USING btree ("tenant_id");