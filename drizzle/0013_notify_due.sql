-- Hand-written: each event row also says whether the job is due now (run_at <= now(), the
-- database's clock), so that a worker pool wakes for new due jobs only: a job inserted or
-- rescheduled for later is not claimable yet, and waking every instance for it would only send a
-- claim that finds nothing. Payload: [[id, tenant, status, attempt, due], ...] (src/events/bus.ts).
-- A row is now at most ["<uuid>", "<uuid>", "waiting_callback", 2147483647, false] (119 bytes)
-- plus ", ": 64 to a payload stay under 7,800 bytes, below NOTIFY's 8,000-byte limit.
CREATE OR REPLACE FUNCTION "callgate_notify_job"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  events jsonb[];
  per_payload constant int := 64;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(jsonb_build_array(n.id, n.tenant_id, n.status, n.attempts, n.run_at <= now())) INTO events FROM new_rows n;
  ELSE
    SELECT array_agg(jsonb_build_array(n.id, n.tenant_id, n.status, n.attempts, n.run_at <= now())) INTO events
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.status IS DISTINCT FROM n.status OR o.attempts IS DISTINCT FROM n.attempts;
  END IF;
  FOR i IN 1 .. coalesce(array_length(events, 1), 0) BY per_payload LOOP
    PERFORM pg_notify('callgate_job', to_jsonb(events[i : i + per_payload - 1])::text);
  END LOOP;
  RETURN NULL;
END
$$;
