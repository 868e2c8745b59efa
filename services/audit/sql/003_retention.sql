-- audit 003: retention. Events older than the retention period move, in
-- one controlled step, from events into events_archive; the live chain then
-- starts from a signed checkpoint instead of seq 1 (ARCHITECTURE.md,
-- "Audit retention").

-- Same columns, constraints and indexes as events (INSERT ... SELECT *
-- relies on the column order being the same). Append-only like events.
CREATE TABLE events_archive (LIKE events INCLUDING ALL);
CREATE TRIGGER events_archive_no_update_delete BEFORE UPDATE OR DELETE ON events_archive
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_archive_no_truncate BEFORE TRUNCATE ON events_archive
  FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- Where each firm's live trail starts: events up to archived_seq are in
-- events_archive, and archived_hash is the head hash of the signed
-- checkpoint at archived_seq that verify starts from.
ALTER TABLE firm_heads
  ADD COLUMN archived_seq bigint NOT NULL DEFAULT 0 CHECK (archived_seq >= 0),
  ADD COLUMN archived_hash text CHECK (archived_hash ~ '^[0-9a-f]{64}$');

-- The one DELETE the trigger lets through: a row of events that
-- archive_events() is moving, named by the transaction-local setting
-- atrium.audit_archive = '<firm_id>/<seq>' (rows of that firm at or below
-- that seq). Anything else is refused as before. Whoever owns the table
-- could set the setting by hand, as they could disable the trigger: the
-- chain, the recorded boundary and the signed checkpoints are what show it.
CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  moving text := current_setting('atrium.audit_archive', true);
BEGIN
  -- nested, so the cast never sees an empty setting
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'events' AND coalesce(moving, '') <> '' THEN
    IF split_part(moving, '/', 1) = OLD.firm_id::text
       AND OLD.seq <= split_part(moving, '/', 2)::bigint THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

-- Moves the firm's events with seq <= upto into events_archive, where upto
-- must be the seq of a signed checkpoint whose head_hash is the stored
-- hash of that event. The firm's head row is locked first, so ingestion of
-- the firm and a second instance's retention wait. Returns the number of
-- events moved (0 when the firm is archived that far already).
CREATE FUNCTION archive_events(p_firm uuid, p_upto bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  cp_hash text;
  n bigint;
BEGIN
  PERFORM 1 FROM firm_heads WHERE firm_id = p_firm AND archived_seq < p_upto FOR UPDATE;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  SELECT c.head_hash INTO cp_hash FROM checkpoints c
   WHERE c.firm_id = p_firm AND c.seq = p_upto;
  IF cp_hash IS NULL THEN
    RAISE EXCEPTION 'no checkpoint of firm % at seq %', p_firm, p_upto;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM events e WHERE e.firm_id = p_firm AND e.seq = p_upto
                 AND e.hash = cp_hash) THEN
    RAISE EXCEPTION 'event % of firm % does not match its checkpoint', p_upto, p_firm;
  END IF;
  PERFORM set_config('atrium.audit_archive', p_firm::text || '/' || p_upto::text, true);
  WITH moved AS (DELETE FROM events WHERE firm_id = p_firm AND seq <= p_upto RETURNING *)
  INSERT INTO events_archive SELECT * FROM moved;
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM set_config('atrium.audit_archive', '', true);
  UPDATE firm_heads SET archived_seq = p_upto, archived_hash = cp_hash WHERE firm_id = p_firm;
  RETURN n;
END $$;
