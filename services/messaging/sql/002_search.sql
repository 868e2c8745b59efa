-- messaging: full-text search over message bodies and thread subjects. The
-- service folds both in C (at_search: accents and case) and writes the
-- vectors with every insert and edit; rows from before this are filled at
-- start-up (NULL until then).
ALTER TABLE messages ADD COLUMN search_tsv tsvector;
ALTER TABLE threads ADD COLUMN search_tsv tsvector;
CREATE INDEX messages_search ON messages USING gin (search_tsv);
CREATE INDEX threads_search ON threads USING gin (search_tsv);
CREATE INDEX messages_unfolded ON messages (id) WHERE search_tsv IS NULL;
CREATE INDEX threads_unfolded ON threads (id) WHERE search_tsv IS NULL;
