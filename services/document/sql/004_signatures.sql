-- document 004: signature and approval requests on a document version.
--
-- A request binds to the version and SHA-256 the document had when it was
-- made: a new version of the document voids every pending request in the
-- transaction that adds the version. Signers act in order (ordered) or in
-- any order; each signer's row keeps the evidence of their act (typed name,
-- time, IP, user agent) and the id of the audit event that records it, so
-- the certificate can show that event's place in the firm's hash chain.
CREATE TABLE signature_requests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    firm_id uuid NOT NULL,
    client_id uuid NOT NULL,
    document_id uuid NOT NULL REFERENCES documents (id),
    document_version integer NOT NULL CHECK (document_version >= 1),
    document_sha256 text NOT NULL CHECK (document_sha256 ~ '^[0-9a-f]{64}$'),
    document_name text NOT NULL,           -- the name when it was requested
    kind text NOT NULL CHECK (kind IN ('signature', 'approval')),
    message text,
    due_at timestamptz,
    ordered boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'completed', 'declined', 'voided')),
    created_by uuid NOT NULL,
    created_by_name text,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    completed_at timestamptz,
    voided_at timestamptz,
    void_reason text,
    -- reminders: each is claimed once (UPDATE ... WHERE ... IS NULL, rows
    -- taken FOR UPDATE SKIP LOCKED), whatever the number of instances
    reminded_before_at timestamptz,
    reminded_due_at timestamptz
);
CREATE INDEX signature_requests_by_document ON signature_requests
    (document_id, created_at DESC, id DESC);
CREATE INDEX signature_requests_by_creator ON signature_requests
    (created_by, created_at DESC, id DESC);
CREATE INDEX signature_requests_due ON signature_requests (due_at)
    WHERE status = 'pending' AND due_at IS NOT NULL;

CREATE TABLE signature_signers (
    request_id uuid NOT NULL REFERENCES signature_requests (id),
    firm_id uuid NOT NULL,
    position integer NOT NULL CHECK (position >= 1),   -- the order when ordered
    user_id uuid NOT NULL,
    name text,                              -- display name when requested
    user_kind text,                         -- "staff" | "client"
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'signed', 'declined')),
    typed_name text,
    reason text,                            -- a decline's
    acted_at timestamptz,
    ip text,
    user_agent text,
    audit_event_id uuid,                    -- document.signed / signature.declined
    PRIMARY KEY (request_id, user_id),
    UNIQUE (request_id, position)
);
CREATE INDEX signature_signers_by_user ON signature_signers (user_id, status);

-- Every audit event written about a request (requested, reminded, signed,
-- declined, voided, completed), so the certificate can ask the audit
-- service for their hashes.
CREATE TABLE signature_events (
    event_id uuid PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES signature_requests (id),
    firm_id uuid NOT NULL,
    action text NOT NULL,
    user_id uuid,                           -- the actor (NULL: the system)
    subject_id uuid,                        -- the signer it concerns, if any
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX signature_events_by_request ON signature_events (request_id, at, event_id);
