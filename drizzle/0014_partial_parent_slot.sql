-- The follow-up slot index covers only jobs with a parent: every other insert skipped an entry that could never conflict.
DROP INDEX "jobs_parent_slot_uq";--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_parent_slot_uq" ON "jobs" USING btree ("parent_job_id","follow_up_slot") WHERE parent_job_id is not null;