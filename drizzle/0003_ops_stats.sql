CREATE TABLE "instances" (
	"id" text PRIMARY KEY NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"concurrency" integer NOT NULL,
	"in_flight" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "job_attempts_finished_idx" ON "job_attempts" USING btree ("finished_at");--> statement-breakpoint
CREATE INDEX "jobs_live_idx" ON "jobs" USING btree ("tenant_id","status","service","operation","run_at") WHERE status in ('pending', 'running', 'waiting_callback');--> statement-breakpoint
CREATE INDEX "jobs_finished_idx" ON "jobs" USING btree ("completed_at") WHERE status in ('succeeded', 'failed', 'cancelled', 'timed_out', 'expired');