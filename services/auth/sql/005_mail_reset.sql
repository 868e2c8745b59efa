-- auth 005: the e-mail outbox and password reset tokens.
--
-- mail_outbox rows are written in the same transaction as what causes the
-- mail (a reset request), so a mail exists exactly when its cause commits;
-- the auth service's background thread sends them (SMTP, or an .eml file
-- when no SMTP server is configured) and records each attempt.
CREATE TABLE mail_outbox (
  id bigserial PRIMARY KEY,
  to_addr text NOT NULL CHECK (length(to_addr) BETWEEN 3 AND 254),
  to_name text,
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 500),
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  sent_at timestamptz,
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_error text
);
CREATE INDEX mail_outbox_pending ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Only the SHA-256 of a reset token is kept; a token is consumed by one
-- UPDATE ... WHERE used_at IS NULL AND expires_at > now() RETURNING.
CREATE TABLE password_resets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  firm_id uuid NOT NULL,
  user_id uuid NOT NULL,
  token_hash text NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  FOREIGN KEY (firm_id, user_id) REFERENCES users (firm_id, id) ON DELETE CASCADE
);
CREATE INDEX password_resets_user ON password_resets (user_id);
