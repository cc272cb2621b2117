-- Hand-written: row-level security as a second line behind the application's tenant filters
-- (src/db/tenant-scope.ts). The API runs each tenant-scoped statement in a transaction that does
-- `SET LOCAL ROLE callgate_tenant` and sets `callgate.tenant_id`; these policies then show and
-- accept only that tenant's rows. The worker, sweeper, retention, migrations and the CLI keep the
-- owner's (or a superuser's) connection, which RLS does not apply to (no FORCE): they cross
-- tenants by design. api_keys and services stay outside: keys are looked up before the tenant is
-- known, a platform admin writes other tenants' keys, and the registry reads every tenant's services.
-- Roles are cluster-wide and this runs once per database, possibly from several at once: create
-- the role only when missing, and take a concurrent creator's duplicate as done.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'callgate_tenant') THEN
    CREATE ROLE callgate_tenant NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
--> statement-breakpoint
-- SET ROLE needs membership; a superuser has it already, a table owner that is not gets it here.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'callgate_tenant', 'MEMBER') THEN
    EXECUTE format('GRANT callgate_tenant TO %I', current_user);
  END IF;
END $$;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON "jobs" TO callgate_tenant;--> statement-breakpoint
GRANT SELECT ON "job_attempts" TO callgate_tenant;--> statement-breakpoint
-- queueHealth lists the instances next to the tenant's jobs; heartbeats hold no tenant data.
GRANT SELECT ON "instances" TO callgate_tenant;--> statement-breakpoint
ALTER TABLE "jobs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "job_attempts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
-- An unset tenant ('' after an earlier transaction's SET LOCAL, or never set) matches no row
-- instead of failing the cast.
CREATE POLICY "jobs_tenant" ON "jobs" TO callgate_tenant
  USING (tenant_id = nullif(current_setting('callgate.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('callgate.tenant_id', true), '')::uuid);--> statement-breakpoint
-- Attempts carry no tenant of their own: one is visible when its job is (the jobs policy applies inside).
CREATE POLICY "job_attempts_tenant" ON "job_attempts" FOR SELECT TO callgate_tenant
  USING (EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_attempts.job_id));
