-- auth 003: TOTP MFA. The secret is stored sealed (libsodium secretbox under
-- the key file ATRIUM_AUTH_SECRET_KEY_FILE, base64url of nonce || box): a
-- copy of the database alone does not give anyone's second factor. It is
-- set at enrolment (mfa_enabled still false) and switched on by a confirmed
-- code. totp_last_step is the last step a code was accepted for: the
-- UPDATE ... WHERE totp_last_step < $step that accepts a code is the
-- single-use guard, so a code (or an older one) is never taken twice.
-- Recovery codes are stored by their SHA-256 and consumed by
-- UPDATE ... WHERE used_at IS NULL RETURNING.

ALTER TABLE users
  ADD COLUMN totp_secret text,
  ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0,
  ADD CONSTRAINT users_mfa_has_secret CHECK (NOT mfa_enabled OR totp_secret IS NOT NULL);

CREATE TABLE recovery_codes (
  user_id uuid NOT NULL,
  firm_id uuid NOT NULL,
  code_hash text NOT NULL CHECK (length(code_hash) = 64),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash),
  FOREIGN KEY (firm_id, user_id) REFERENCES users (firm_id, id) ON DELETE CASCADE
);
