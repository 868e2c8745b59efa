-- messaging: full-text search over messages. A message's vector is its
-- folded body plus its thread's subject vector (weight B), so a search
-- for words of both finds it. The service folds the text in C (at_search:
-- accents and case) and writes the vectors with every insert and edit;
-- rows from before this are filled at start-up (NULL until then).
ALTER TABLE threads ADD COLUMN search_tsv tsvector;   -- the subject's
ALTER TABLE messages ADD COLUMN search_tsv tsvector;  -- body and subject
CREATE INDEX messages_search ON messages USING gin (search_tsv);
CREATE INDEX messages_unfolded ON messages (id) WHERE search_tsv IS NULL;
CREATE INDEX threads_unfolded ON threads (id) WHERE search_tsv IS NULL;
