-- auth 004: personal API tokens (Authorization: Bearer). Only the SHA-256 of
-- a token is stored; the gateway finds it in Redis (atrium:api_token:<hash>,
-- a one-minute cache written by auth.token_auth from this table), so a
-- revoked token is gone from PostgreSQL for good whatever Redis replays.

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  firm_id uuid NOT NULL,
  user_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  token_hash text NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_used_at timestamptz,
  FOREIGN KEY (firm_id, user_id) REFERENCES users (firm_id, id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at DESC);
