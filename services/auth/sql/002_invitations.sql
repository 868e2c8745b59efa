-- auth 002: invitations. Only the SHA-256 of the token is stored; an
-- invitation is consumed by one UPDATE ... RETURNING that sets accepted_at,
-- so of two concurrent accepts exactly one sees the row. The composite
-- foreign key keeps an invitation inside its firm's clients.

CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  firm_id uuid NOT NULL REFERENCES firms (id),
  token_hash text NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  kind text NOT NULL CHECK (kind IN ('staff', 'client')),
  role text NOT NULL,
  client_id uuid,
  invited_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid,
  CHECK ((kind = 'staff' AND role IN ('owner', 'admin', 'staff'))
         OR (kind = 'client' AND role IN ('admin', 'member', 'viewer') AND client_id IS NOT NULL)),
  FOREIGN KEY (firm_id, client_id) REFERENCES clients (firm_id, id) ON DELETE CASCADE,
  FOREIGN KEY (firm_id, invited_by) REFERENCES users (firm_id, id) ON DELETE CASCADE
);
CREATE INDEX invitations_firm ON invitations (firm_id, created_at DESC);
CREATE INDEX staff_page ON users (firm_id, created_at DESC, id DESC) WHERE kind = 'staff';
