-- auth 006: a firm's security settings (GET/PUT /api/v1/settings/security).
-- NULL idle/max values mean the installation's defaults
-- (ATRIUM_SESSION_IDLE_MINUTES, ATRIUM_SESSION_MAX_HOURS); sessions made
-- after a change carry the firm's values.
ALTER TABLE firms
  ADD COLUMN require_mfa_for_staff boolean NOT NULL DEFAULT false,
  ADD COLUMN session_idle_minutes int CHECK (session_idle_minutes BETWEEN 5 AND 1440),
  ADD COLUMN session_max_hours int CHECK (session_max_hours BETWEEN 1 AND 720);
