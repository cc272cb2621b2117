-- Async operations (job_callbacks, the accepted/callback/timed_out attempt outcomes) and
-- follow-ups (follow_ups, depth, and a slot unique per parent so each is created once).
ALTER TYPE "public"."attempt_outcome" ADD VALUE 'accepted';--> statement-breakpoint
ALTER TYPE "public"."attempt_outcome" ADD VALUE 'callback';--> statement-breakpoint
ALTER TYPE "public"."attempt_outcome" ADD VALUE 'timed_out';--> statement-breakpoint
CREATE TABLE "job_callbacks" (
	"job_id" uuid PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"attempt" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"accepted_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"received_at" timestamp with time zone,
	"webhook_id" text,
	"result" jsonb,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "follow_up_slot" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "follow_ups" jsonb;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "depth" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "job_callbacks" ADD CONSTRAINT "job_callbacks_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "job_callbacks_token_uq" ON "job_callbacks" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "job_callbacks_expires_idx" ON "job_callbacks" USING btree ("expires_at") WHERE received_at is null and retired_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_parent_slot_uq" ON "jobs" USING btree ("parent_job_id","follow_up_slot");--> statement-breakpoint
-- Hand-written: Job.callback is read in the API's tenant scope (0008_rls.sql); a return address
-- is visible when its job is. The callback endpoint and the worker use the owner's connection.
GRANT SELECT ON "job_callbacks" TO callgate_tenant;--> statement-breakpoint
ALTER TABLE "job_callbacks" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "job_callbacks_tenant" ON "job_callbacks" FOR SELECT TO callgate_tenant
  USING (EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_callbacks.job_id));
