-- audit 002: signed checkpoints of the chains and the public keys that
-- verify them (the secret key never enters the database: audit_key.h).

-- Every key that ever signed a checkpoint, so old checkpoints stay
-- verifiable after the key file is replaced.
CREATE TABLE signing_keys (
  key_id text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{16}$'),
  public_key text NOT NULL UNIQUE CHECK (public_key ~ '^[0-9a-f]{64}$'),
  algorithm text NOT NULL DEFAULT 'ed25519',
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One signed head per (firm, seq); "at" and the other fields are exactly
-- what was signed (audit_chain.h, "atrium.audit.checkpoint.v1").
CREATE TABLE checkpoints (
  firm_id uuid NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 1),
  head_hash text NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
  at timestamptz NOT NULL,
  key_id text NOT NULL REFERENCES signing_keys,
  signature text NOT NULL CHECK (signature ~ '^[0-9a-f]{128}$'),
  PRIMARY KEY (firm_id, seq)
);

-- Append-only like the events, by the same function.
CREATE TRIGGER checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON checkpoints
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
