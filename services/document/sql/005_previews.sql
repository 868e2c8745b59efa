-- document: thumbnails (previews) of images and of PDFs' first pages, and
-- the queue that makes them. One row per source blob (its SHA-256): the same
-- bytes, in any document of any firm, have one thumbnail, made once, as the
-- blob itself is stored once. So the row has no firm_id (nor row-level
-- security): it names a digest and a rendering state, nothing of a firm;
-- whoever reads it found the digest through a version they may see.
--
-- A row is a job while status is 'pending': a background thread of any
-- document instance claims it (FOR UPDATE SKIP LOCKED) by counting an
-- attempt and pushing next_at past a lease, renders, and marks it 'done'
-- (the PNG is <blob dir>/previews/ab/cd/<sha256>.png) or, after too many
-- attempts or on a refusal (too many pixels), 'failed'.
CREATE TABLE previews (
    sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type text NOT NULL,            -- as sniffed when the version was stored
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_at timestamptz NOT NULL DEFAULT now(),   -- not claimed before
    png_sha256 text CHECK (png_sha256 ~ '^[0-9a-f]{64}$'),
    png_size bigint CHECK (png_size >= 0),
    width integer,
    height integer,
    error text,                            -- the last failure, for operators
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX previews_queue ON previews (next_at) WHERE status = 'pending';

-- versions stored before previews existed get their job too
INSERT INTO previews (sha256, content_type)
SELECT DISTINCT ON (sha256) sha256, content_type FROM versions
 WHERE content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf')
 ORDER BY sha256
ON CONFLICT DO NOTHING;
