-- 0016 gave every job accepted before it the default timeout's lease (15 s), which cuts a longer
-- operation's calls to 10 s. Null now stands for "accepted before leases were per job": the claim
-- leases such a job as every job was leased then (the longest operation timeout + 5 s) and
-- records that lease on the row (queue/claim.ts). Unfinished jobs with the 0016 default go back to
-- null; a job accepted since with a 10 s timeout is among them and is leased at least as long.
ALTER TABLE "jobs" ALTER COLUMN "lease_ms" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "jobs" ALTER COLUMN "lease_ms" DROP NOT NULL;--> statement-breakpoint
UPDATE "jobs" SET "lease_ms" = NULL WHERE "lease_ms" = 15000 AND "status" IN ('pending', 'running', 'waiting_callback');
