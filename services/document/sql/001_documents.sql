-- document: folders, documents, their versions and uploads in progress.
-- Every row carries firm_id (and client_id): a query by id alone is always
-- checked against the caller's principal before anything is answered.

CREATE TABLE folders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    firm_id uuid NOT NULL,
    client_id uuid NOT NULL,
    parent_id uuid REFERENCES folders (id),
    name text NOT NULL,
    visibility text NOT NULL DEFAULT 'shared' CHECK (visibility IN ('shared', 'internal')),
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
-- one live folder of a name (compared case-insensitively, NFC) per parent
CREATE UNIQUE INDEX folders_live_name ON folders
    (client_id, coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid),
     lower(normalize(name, NFC)))
    WHERE deleted_at IS NULL;

CREATE TABLE documents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    firm_id uuid NOT NULL,
    client_id uuid NOT NULL,
    folder_id uuid REFERENCES folders (id),      -- NULL: the client's top level
    name text NOT NULL,
    current_version integer NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    deleted_by uuid
);
-- Two uploads of one name into one folder must become one document with two
-- versions, never two documents or a lost file: the upload's insert meets
-- this index (ON CONFLICT DO NOTHING) and then adds a version instead.
CREATE UNIQUE INDEX documents_live_name ON documents
    (client_id, coalesce(folder_id, '00000000-0000-0000-0000-000000000000'::uuid),
     lower(normalize(name, NFC)))
    WHERE deleted_at IS NULL;
CREATE INDEX documents_by_client ON documents (client_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;

CREATE TABLE versions (
    document_id uuid NOT NULL REFERENCES documents (id),
    version integer NOT NULL CHECK (version >= 1),
    firm_id uuid NOT NULL,
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size bigint NOT NULL CHECK (size >= 0),
    content_type text NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, version)
);
-- which versions use a blob (a later blob collector asks)
CREATE INDEX versions_by_sha256 ON versions (sha256);

-- An upload in progress: the bytes are in <blob dir>/tmp/<id>, the running
-- SHA-256 state here, so that any instance can take the next chunk.
CREATE TABLE uploads (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    firm_id uuid NOT NULL,
    client_id uuid NOT NULL,
    folder_id uuid,
    document_id uuid,                 -- set: the upload becomes a new version of it
    name text NOT NULL,
    content_type_hint text,
    created_by uuid NOT NULL,
    declared_size bigint CHECK (declared_size >= 0),
    received bigint NOT NULL DEFAULT 0 CHECK (received >= 0),
    sha_state bytea NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_by_activity ON uploads (updated_at);
