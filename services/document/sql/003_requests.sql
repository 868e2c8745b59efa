-- document: document requests. Staff ask a client for a file; the client
-- fulfils one by uploading with ?request_id= (the upload carries the id, its
-- finish links the new document and version and marks the request
-- submitted); staff accept it, or reject it with a reason, which reopens it.
CREATE TABLE requests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    firm_id uuid NOT NULL,
    client_id uuid NOT NULL,
    title text NOT NULL,
    description text,
    due_at timestamptz,
    folder_id uuid REFERENCES folders (id),   -- where the file goes; NULL: top level
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'accepted')),
    reason text,                              -- the last rejection's
    document_id uuid REFERENCES documents (id),
    version integer,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    submitted_by uuid,
    submitted_at timestamptz,
    decided_by uuid,
    decided_at timestamptz
);
CREATE INDEX requests_by_client ON requests (client_id, created_at DESC, id DESC);

ALTER TABLE uploads ADD COLUMN request_id uuid REFERENCES requests (id);
