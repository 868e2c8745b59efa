-- auth 007: a firm's branding (GET /api/v1/branding, PUT
-- /api/v1/settings/branding) and each user's last login (GET /dashboard
-- counts what is new since the login before the current session).
-- NULL branding values mean the installation's defaults; labels holds only
-- the terms the firm renamed ({"client": "Matter"}).
ALTER TABLE firms
  ADD COLUMN portal_name text CHECK (length(portal_name) BETWEEN 1 AND 60),
  ADD COLUMN primary_color text CHECK (primary_color ~ '^#[0-9a-f]{6}$'),
  ADD COLUMN logo_url text CHECK (length(logo_url) BETWEEN 1 AND 2048),
  ADD COLUMN labels jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
  ADD COLUMN dashboard_sections text[];

ALTER TABLE users ADD COLUMN last_login_at timestamptz;
