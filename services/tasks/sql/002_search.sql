-- tasks: full-text search over a task's title (weight A) and description
-- (B). The service folds both in C (at_search: accents and case) and writes
-- the vector with every insert and update; rows from before this are
-- filled at start-up (NULL until then).
ALTER TABLE tasks ADD COLUMN search_tsv tsvector;
CREATE INDEX tasks_search ON tasks USING gin (search_tsv);
CREATE INDEX tasks_unfolded ON tasks (id) WHERE search_tsv IS NULL;
