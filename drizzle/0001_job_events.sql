-- Hand-written: the built-in tenant that every call runs as until API keys are issued, and the
-- trigger that announces every job status change on the channel `callgate_job`. A trigger makes
-- the NOTIFY part of the same transaction as the change, whichever statement made it, so no code
-- path can forget it. Payloads stay small (NOTIFY caps them near 8 KB): ids and status only.
INSERT INTO "tenants" ("id", "name") VALUES ('00000000-0000-0000-0000-000000000000', 'default')
ON CONFLICT DO NOTHING;
--> statement-breakpoint
CREATE FUNCTION "callgate_notify_job"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('callgate_job', json_build_object(
    'id', NEW.id, 'tenant', NEW.tenant_id, 'status', NEW.status, 'attempt', NEW.attempts
  )::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "jobs_notify_insert" AFTER INSERT ON "jobs"
FOR EACH ROW EXECUTE FUNCTION "callgate_notify_job"();
--> statement-breakpoint
CREATE TRIGGER "jobs_notify_update" AFTER UPDATE OF "status", "attempts" ON "jobs"
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.attempts IS DISTINCT FROM NEW.attempts)
EXECUTE FUNCTION "callgate_notify_job"();
