ALTER TYPE "public"."attempt_outcome" ADD VALUE 'lost';--> statement-breakpoint
ALTER TYPE "public"."attempt_outcome" ADD VALUE 'aborted';--> statement-breakpoint
ALTER TYPE "public"."attempt_outcome" ADD VALUE 'expired';--> statement-breakpoint
CREATE INDEX "jobs_deadline_idx" ON "jobs" USING btree ("deadline") WHERE status = 'pending' and deadline is not null;