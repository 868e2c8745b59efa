-- document: full-text search over document names and the text of each
-- document's newest version (PDF text through poppler, text/plain and
-- text/csv as they are). The service folds every text in C (at_search:
-- NFKD, combining marks dropped, case-folded) and stores
-- to_tsvector('simple', folded), so no extension is needed and a query
-- folded the same way finds "Müller" with "muller".

-- Rows of existing tables are only visible under a tenant (row-level
-- security); the backfill below spans firms.
SET LOCAL atrium.firm_id = '*';

ALTER TABLE documents ADD COLUMN name_tsv tsvector;  -- NULL: not folded yet (the text worker does it)
ALTER TABLE documents ADD COLUMN text_tsv tsvector;  -- of the newest version's extracted text
ALTER TABLE documents ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS
    (setweight(coalesce(name_tsv, ''::tsvector), 'A') || coalesce(text_tsv, ''::tsvector)) STORED;
CREATE INDEX documents_search ON documents USING gin (search_tsv) WHERE deleted_at IS NULL;
CREATE INDEX documents_name_unfolded ON documents (id) WHERE name_tsv IS NULL;

-- The extracted text of a document's newest version (capped at 1 MiB and
-- 200 pages), kept for snippets. Empty when the file has no text we read.
CREATE TABLE texts (
    document_id uuid PRIMARY KEY REFERENCES documents (id),
    firm_id uuid NOT NULL,
    version integer NOT NULL,
    content text NOT NULL,
    extracted_at timestamptz NOT NULL DEFAULT now()
);

-- Extraction waiting to be done: one row per stored version, inserted in the
-- transaction that stores the version; a background thread of any instance
-- claims it (FOR UPDATE SKIP LOCKED), counting the attempt before it starts,
-- so a file that crashes or hangs the extractor is tried a bounded number
-- of times.
CREATE TABLE text_jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    document_id uuid NOT NULL REFERENCES documents (id),
    version integer NOT NULL,
    firm_id uuid NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX text_jobs_due ON text_jobs (next_at);

-- what was stored before search existed gets its text too
INSERT INTO text_jobs (document_id, version, firm_id)
    SELECT id, current_version, firm_id FROM documents;
