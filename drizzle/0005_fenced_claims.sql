ALTER TYPE "public"."attempt_outcome" ADD VALUE 'superseded';--> statement-breakpoint
ALTER TABLE "job_attempts" ADD COLUMN "claim_token" uuid;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "claim_token" uuid;