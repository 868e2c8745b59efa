-- Atrium's database roles and schemas: one LOGIN role per service, owning only its
-- own schema, with that schema as its search_path and no rights anywhere else.
-- Idempotent. Run by psql as the superuser:
--   * by scripts/atrium-run on every start (private cluster, trust over a Unix
--     socket only its owner can reach: no passwords are set);
--   * by the postgres container on its first start (/docker-entrypoint-initdb.d):
--     passwords come from ATRIUM_PG_PASSWORD_<SERVICE> in its environment.
-- Tables are not created here: each service migrates its own schema at start-up.
\set ON_ERROR_STOP on

SELECT 'CREATE DATABASE atrium ENCODING ''UTF8'' TEMPLATE template0'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'atrium') \gexec
\connect atrium

-- Only the six roles may connect; nobody may create in public.
REVOKE ALL ON DATABASE atrium FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC;

CREATE TEMP TABLE atrium_role (role name PRIMARY KEY, schema name NOT NULL);
INSERT INTO atrium_role VALUES
  ('atrium_auth', 'auth'),
  ('atrium_document', 'document'),
  ('atrium_tasks', 'tasks'),
  ('atrium_messaging', 'messaging'),
  ('atrium_billing', 'billing'),
  ('atrium_audit', 'audit');

SELECT format('CREATE ROLE %I LOGIN', role) FROM atrium_role
 WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = atrium_role.role) \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', role)
  FROM atrium_role \gexec
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', schema, role) FROM atrium_role \gexec
SELECT format('ALTER SCHEMA %I OWNER TO %I', schema, role) FROM atrium_role \gexec
SELECT format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', schema) FROM atrium_role \gexec
SELECT format('GRANT CONNECT ON DATABASE atrium TO %I', role) FROM atrium_role \gexec
SELECT format('ALTER ROLE %I SET search_path = %I', role, schema) FROM atrium_role \gexec
DROP TABLE atrium_role;

-- Passwords (scram-sha-256, the server default), only where the environment has one.
\getenv pw ATRIUM_PG_PASSWORD_AUTH
\if :{?pw}
ALTER ROLE atrium_auth PASSWORD :'pw';
\endif
\unset pw
\getenv pw ATRIUM_PG_PASSWORD_DOCUMENT
\if :{?pw}
ALTER ROLE atrium_document PASSWORD :'pw';
\endif
\unset pw
\getenv pw ATRIUM_PG_PASSWORD_TASKS
\if :{?pw}
ALTER ROLE atrium_tasks PASSWORD :'pw';
\endif
\unset pw
\getenv pw ATRIUM_PG_PASSWORD_MESSAGING
\if :{?pw}
ALTER ROLE atrium_messaging PASSWORD :'pw';
\endif
\unset pw
\getenv pw ATRIUM_PG_PASSWORD_BILLING
\if :{?pw}
ALTER ROLE atrium_billing PASSWORD :'pw';
\endif
\unset pw
\getenv pw ATRIUM_PG_PASSWORD_AUDIT
\if :{?pw}
ALTER ROLE atrium_audit PASSWORD :'pw';
\endif
\unset pw

-- Full-text search under row-level security. PostgreSQL evaluates a
-- query's own conditions after the tenancy policy unless their functions
-- are leakproof, and may then not use an index for them: the `@@` of every
-- service's search (ts_match_vq) was applied row by row, 214 ms to find one
-- of 100,000 documents, 5 ms through the GIN index once marked. It computes
-- a boolean from its two arguments and raises no error that could reveal
-- them, which is what LEAKPROOF asserts. Superuser only, hence here.
ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF;
