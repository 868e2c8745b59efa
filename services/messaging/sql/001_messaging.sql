-- messaging: threads of a client, their messages, and each user's read
-- position per thread. Pages are keyset on seq (a bigserial): threads newest
-- first, messages oldest first.
CREATE TABLE threads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial NOT NULL UNIQUE,
  firm_id uuid NOT NULL,
  client_id uuid NOT NULL,
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
  about_type text CHECK (about_type IN ('document', 'task')),
  about_id uuid,
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK ((about_type IS NULL) = (about_id IS NULL))
);
CREATE INDEX threads_client ON threads (firm_id, client_id, seq DESC);
CREATE INDEX threads_about ON threads (about_type, about_id) WHERE about_id IS NOT NULL;

CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial NOT NULL UNIQUE,
  thread_id uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  firm_id uuid NOT NULL,
  client_id uuid NOT NULL,
  author_id uuid NOT NULL,
  author_name text,             -- the display name when written
  author_kind text,             -- staff | client
  body text NOT NULL CHECK (octet_length(body) BETWEEN 1 AND 20000),
  mention_ids uuid[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  edited_at timestamptz
);
CREATE INDEX messages_thread ON messages (thread_id, seq);

-- The newest message (by seq) a user has read in a thread; what follows,
-- written by others, is unread.
CREATE TABLE reads (
  thread_id uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  last_read_seq bigint NOT NULL DEFAULT 0,
  last_read_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (thread_id, user_id)
);

-- A JSON array of strings (built by jansson) as text[], in order.
CREATE FUNCTION json_text_array(j text) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT AS
  $$ SELECT coalesce(array_agg(e ORDER BY i), '{}')
       FROM jsonb_array_elements_text(j::jsonb) WITH ORDINALITY AS t(e, i) $$;
