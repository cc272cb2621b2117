-- An outcome written again after its commit's acknowledgement was lost added a second row for the
-- same attempt; keep the first of each before the index makes them unique.
DELETE FROM "job_attempts" a USING "job_attempts" b
WHERE a.job_id = b.job_id AND a.attempt = b.attempt AND a.claim_token = b.claim_token AND a.started_at = b.started_at AND a.id > b.id;--> statement-breakpoint
DROP INDEX "job_attempts_job_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "job_attempts_job_idx" ON "job_attempts" USING btree ("job_id","attempt","claim_token","started_at");