-- cancelJob and retryJob run in the API's tenant scope (0008_rls.sql) and change the job's return
-- address in the same transaction: cancel retires the token, retry forgets it. The tenant may do
-- exactly that on the rows of the jobs it can see; the token hash itself stays read-only.
GRANT UPDATE ("retired_at"), DELETE ON "job_callbacks" TO callgate_tenant;--> statement-breakpoint
CREATE POLICY "job_callbacks_tenant_retire" ON "job_callbacks" FOR UPDATE TO callgate_tenant
  USING (EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_callbacks.job_id));--> statement-breakpoint
CREATE POLICY "job_callbacks_tenant_forget" ON "job_callbacks" FOR DELETE TO callgate_tenant
  USING (EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_callbacks.job_id));
