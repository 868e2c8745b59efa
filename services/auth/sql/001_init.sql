-- auth 001: firms, users, clients and memberships. Every row names its firm;
-- composite foreign keys (firm_id, id) make a membership that crosses firms
-- impossible, whatever a handler does. Emails are unique across all firms
-- (login is by email alone), compared case-insensitively.

CREATE TABLE firms (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  firm_id uuid NOT NULL REFERENCES firms (id),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  password_hash text NOT NULL,          -- Argon2id, parameters inside the string
  kind text NOT NULL CHECK (kind IN ('staff', 'client')),
  role text,
  time_zone text NOT NULL DEFAULT 'UTC',
  mfa_enabled boolean NOT NULL DEFAULT false,
  session_generation integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK ((kind = 'staff' AND role IN ('owner', 'admin', 'staff'))
         OR (kind = 'client' AND role IS NULL)),
  UNIQUE (firm_id, id)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE clients (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  firm_id uuid NOT NULL REFERENCES firms (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  external_refs jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(external_refs) = 'object'),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (firm_id, id)
);
CREATE INDEX clients_page ON clients (firm_id, created_at DESC, id DESC);

CREATE TABLE memberships (
  client_id uuid NOT NULL,
  user_id uuid NOT NULL,
  firm_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'member', 'viewer', 'staff')),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (client_id, user_id),
  FOREIGN KEY (firm_id, client_id) REFERENCES clients (firm_id, id) ON DELETE CASCADE,
  FOREIGN KEY (firm_id, user_id) REFERENCES users (firm_id, id) ON DELETE CASCADE
);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE INDEX memberships_page ON memberships (client_id, created_at DESC, user_id DESC);
