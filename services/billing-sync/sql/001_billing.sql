-- billing: QuickBooks Online data pulled for each firm, and the connection
-- that allows it. Every row carries firm_id.

-- One connection per firm and provider (OAuth 2.0 authorization-code grant).
CREATE TABLE connections (
    firm_id       uuid NOT NULL,
    provider      text NOT NULL CHECK (provider IN ('quickbooks', 'hubspot')),
    realm_id      text,
    refresh_token text,
    connected_by  uuid,
    connected_at  timestamptz NOT NULL DEFAULT now(),
    status        text NOT NULL DEFAULT 'connected'
                  CHECK (status IN ('connected', 'syncing', 'error', 'disconnected')),
    last_sync_at  timestamptz,
    last_error    text,
    PRIMARY KEY (firm_id, provider)
);

-- OAuth state values in flight: only their SHA-256 is kept; single use.
CREATE TABLE oauth_states (
    state_hash text PRIMARY KEY,
    firm_id    uuid NOT NULL,
    user_id    uuid NOT NULL,
    provider   text NOT NULL,
    expires_at timestamptz NOT NULL
);

-- The firm's clients as auth last told us (names and external refs), so a
-- background sync can link provider customers to clients.
CREATE TABLE client_links (
    firm_id         uuid NOT NULL,
    client_id       uuid NOT NULL,
    name_key        text NOT NULL,
    qbo_customer_id text,
    PRIMARY KEY (firm_id, client_id)
);

CREATE TABLE customers (
    firm_id      uuid NOT NULL,
    realm_id     text NOT NULL,
    qbo_id       text NOT NULL,
    sync_token   text,
    display_name text NOT NULL,
    active       boolean NOT NULL DEFAULT true,
    qbo_updated  text,
    client_id    uuid,
    PRIMARY KEY (firm_id, realm_id, qbo_id)
);
CREATE INDEX customers_client ON customers (firm_id, client_id);

CREATE TABLE invoices (
    id          uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    firm_id     uuid NOT NULL,
    realm_id    text NOT NULL,
    qbo_id      text NOT NULL,
    sync_token  text,
    number      text,
    issued_on   date,
    due_on      date,
    total       text NOT NULL,      -- exact decimal string in the currency's decimals
    balance     text NOT NULL,
    currency    text NOT NULL,
    voided      boolean NOT NULL DEFAULT false,
    pay_url     text,
    customer_id text,
    qbo_updated text,
    synced_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (firm_id, realm_id, qbo_id)
);
CREATE INDEX invoices_customer ON invoices (firm_id, realm_id, customer_id, issued_on DESC, id DESC);

CREATE TABLE syncs (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    firm_id          uuid NOT NULL,
    provider         text NOT NULL,
    status           text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'done', 'failed')),
    requested_by     uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    invoices_seen    bigint NOT NULL DEFAULT 0,
    invoices_written bigint NOT NULL DEFAULT 0,
    customers_seen   bigint NOT NULL DEFAULT 0,
    error            text
);
CREATE INDEX syncs_queued ON syncs (created_at) WHERE status = 'queued';
