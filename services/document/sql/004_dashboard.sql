-- document 004: GET /dashboard counts a firm's documents added since the
-- caller's last login with one statement; this index keeps that a range
-- scan for an owner or admin (all clients) over 100k documents.
CREATE INDEX documents_by_firm_created ON documents (firm_id, created_at DESC)
    WHERE deleted_at IS NULL;
