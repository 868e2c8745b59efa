-- Purge: the bytes of a soft-deleted document go for good, when an
-- owner/admin purges it or when it has been in the trash for
-- ATRIUM_DOCUMENT_TRASH_DAYS. The rows stay, marked purged_at, so the
-- activity, document requests and audit trail that name the document keep
-- their meaning; a purged document is found by no one and cannot be
-- restored. A blob is removed once no unpurged version uses it (checked
-- under the blob's advisory lock, which an upload finishing with the same
-- bytes also takes: see document_gc.c).
ALTER TABLE documents ADD COLUMN purged_at timestamptz;
ALTER TABLE versions ADD COLUMN purged_at timestamptz;
CREATE INDEX documents_in_trash ON documents (deleted_at)
    WHERE deleted_at IS NOT NULL AND purged_at IS NULL;
