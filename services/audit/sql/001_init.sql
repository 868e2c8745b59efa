-- audit 001: the trail (append-only events with a per-firm hash chain) and
-- the per-firm chain heads that serialise ingestion.

-- One row per firm: the last sequence number and hash of its chain. Ingestion
-- locks the row (INSERT ... ON CONFLICT DO UPDATE, i.e. FOR UPDATE) for the
-- whole batch transaction, so seq stays gap-free and the chain linear even
-- with several audit instances.
CREATE TABLE firm_heads (
  firm_id uuid PRIMARY KEY,
  last_seq bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
  last_hash text NOT NULL
    DEFAULT '0000000000000000000000000000000000000000000000000000000000000000'
    CHECK (last_hash ~ '^[0-9a-f]{64}$')
);

-- Columns hold the canonical forms that audit_chain.h hashes: uuids as
-- uuid, at truncated to milliseconds, details the exact canonical JSON text
-- (type json keeps the text byte for byte; jsonb would reorder it).
CREATE TABLE events (
  firm_id uuid NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 1),
  event_id uuid NOT NULL UNIQUE,       -- a redelivered event is ignored
  at timestamptz NOT NULL,
  actor_id uuid,
  actor_name text,
  actor_kind text,
  action text NOT NULL,
  resource_type text,
  resource_id text,
  client_id uuid,
  ip text,
  user_agent text,
  request_id text,
  source text,
  details json NOT NULL,
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  ingested_at timestamptz NOT NULL DEFAULT now(),  -- not hashed; for operators
  PRIMARY KEY (firm_id, seq)           -- also serves (firm_id, seq DESC) by a backward scan
);

-- The list filters: each is an equality on firm_id and the filter, then seq
-- in order, so "newest first, after cursor" is an index range read backwards.
CREATE INDEX events_actor ON events (firm_id, actor_id, seq);
CREATE INDEX events_client ON events (firm_id, client_id, seq);
CREATE INDEX events_resource ON events (firm_id, resource_type, resource_id, seq);
CREATE INDEX events_action ON events (firm_id, action, seq);

-- Append-only. The service's role owns this table, and a PostgreSQL owner
-- can always grant itself back any privilege it revokes, so grants alone
-- cannot stop the owner from rewriting the trail. These triggers refuse
-- every UPDATE, DELETE and TRUNCATE, whoever runs them. An owner can still
-- drop or disable a trigger: that is what the hash chain (and the signed
-- checkpoints) detect.
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
