-- Hand-written: one NOTIFY per statement instead of one per row. Every commit that has NOTIFYed
-- takes the same cluster-wide lock to queue its notifications, so a batch of 100 inserted jobs used
-- to queue 100 of them; now the statement-level triggers below read the statement's changed rows
-- from its transition tables and send them together, 64 to a payload: each row is at most
-- ["<uuid>", "<uuid>", "waiting_callback", 2147483647] (112 bytes) plus ", ", so a payload stays
-- under 7,400 bytes, below NOTIFY's 8,000-byte limit, and the NOTIFY count grows 64 times slower
-- than the batch. Payload: [[id, tenant, status, attempt], ...] (src/events/bus.ts).
-- Transition tables are not allowed on `AFTER UPDATE OF <columns>` triggers, and a statement
-- trigger fires even when no row changed: the function itself keeps only the rows whose status or
-- attempts changed, and sends nothing when none did.
DROP TRIGGER "jobs_notify_insert" ON "jobs";--> statement-breakpoint
DROP TRIGGER "jobs_notify_update" ON "jobs";--> statement-breakpoint
CREATE OR REPLACE FUNCTION "callgate_notify_job"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  events jsonb[];
  per_payload constant int := 64;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(jsonb_build_array(n.id, n.tenant_id, n.status, n.attempts)) INTO events FROM new_rows n;
  ELSE
    SELECT array_agg(jsonb_build_array(n.id, n.tenant_id, n.status, n.attempts)) INTO events
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.status IS DISTINCT FROM n.status OR o.attempts IS DISTINCT FROM n.attempts;
  END IF;
  FOR i IN 1 .. coalesce(array_length(events, 1), 0) BY per_payload LOOP
    PERFORM pg_notify('callgate_job', to_jsonb(events[i : i + per_payload - 1])::text);
  END LOOP;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "jobs_notify_insert" AFTER INSERT ON "jobs"
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION "callgate_notify_job"();--> statement-breakpoint
CREATE TRIGGER "jobs_notify_update" AFTER UPDATE ON "jobs"
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION "callgate_notify_job"();
