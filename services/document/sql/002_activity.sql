-- document: each document's own activity (who did what, when), written in
-- the same transaction as the change or read it records. The audit trail
-- (audit service) has every event too; this is the document's view of it,
-- answered by GET /api/v1/documents/{id}/activity.
CREATE TABLE activity (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    document_id uuid NOT NULL REFERENCES documents (id),
    firm_id uuid NOT NULL,
    client_id uuid NOT NULL,
    actor_id uuid,
    actor_name text,
    actor_kind text,                 -- "staff" | "client"
    action text NOT NULL,            -- uploaded, viewed, downloaded, versioned, ...
    version integer,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX activity_by_document ON activity (document_id, at DESC, id DESC);

-- the per-firm storage quota sums the versions' sizes of a firm
CREATE INDEX versions_by_firm ON versions (firm_id);
