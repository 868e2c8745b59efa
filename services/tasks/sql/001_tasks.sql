-- tasks: a client's tasks, and the firm's task statuses (none stored: the
-- defaults open, in_progress, blocked, done apply).
CREATE TABLE task_statuses (
  firm_id uuid NOT NULL,
  key text NOT NULL,
  label text NOT NULL,
  done boolean NOT NULL DEFAULT false,
  position int NOT NULL DEFAULT 0,
  PRIMARY KEY (firm_id, key)
);

CREATE TABLE tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  firm_id uuid NOT NULL,
  client_id uuid NOT NULL,
  project_id uuid,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  description text,
  status text NOT NULL,
  priority text NOT NULL DEFAULT 'normal'
    CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  assignee_ids uuid[] NOT NULL DEFAULT '{}',
  labels text[] NOT NULL DEFAULT '{}',
  start_at timestamptz,
  due_at timestamptz,
  completed_at timestamptz,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- list: newest first within a client (keyset on created_at, id)
CREATE INDEX tasks_client_created ON tasks (firm_id, client_id, created_at DESC, id DESC);
-- ?assignee=me
CREATE INDEX tasks_assignees ON tasks USING gin (assignee_ids);
-- reminders (later): what falls due
CREATE INDEX tasks_due ON tasks (due_at) WHERE completed_at IS NULL AND due_at IS NOT NULL;

-- A JSON array of strings (built by jansson, never by hand) as text[],
-- in order: how the store passes lists as one text parameter.
CREATE FUNCTION json_text_array(j text) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT AS
  $$ SELECT coalesce(array_agg(e ORDER BY i), '{}')
       FROM jsonb_array_elements_text(j::jsonb) WITH ORDINALITY AS t(e, i) $$;
