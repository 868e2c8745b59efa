// Admin (owners and admins): staff and invitations, security settings,
// branding, integrations, and the audit trail with filters, export and
// verification.
import { useState, useEffect } from 'preact/hooks';
import { html, api, apiAll, useApi, useApp, link, qs, formatTime, formatDate, ErrorLine, detailsOf, DEFAULT_BRANDING } from '../lib.js';

const SECTIONS = [['staff', 'Staff and invitations'], ['security', 'Security'], ['branding', 'Branding'], ['integrations', 'Integrations'], ['audit', 'Audit trail']];

export function Admin({ section }) {
  let body;
  if (section === 'security') body = html`<${Security} />`;
  else if (section === 'branding') body = html`<${BrandingSection} />`;
  else if (section === 'integrations') body = html`<${Integrations} />`;
  else if (section === 'audit') body = html`<${Audit} />`;
  else body = html`<${Staff} />`;
  return html`<section>
    <h1>Admin</h1>
    <nav class="tabs" aria-label="Admin sections">${SECTIONS.map(([k, label]) => html`<a href=${link('admin', k)} aria-current=${section === k ? 'page' : undefined}>${label}</a>`)}</nav>
    ${body}</section>`;
}

function Staff() {
  const list = useApi('/api/v1/staff?limit=200');
  const clients = useApi('/api/v1/clients?limit=200');
  const [made, setMade] = useState(null);
  const [error, setError] = useState(null);
  const [kind, setKind] = useState('staff');
  const invite = async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    setError(null);
    const body = { email: f.get('email'), kind, role: f.get('role') };
    if (f.get('client_id')) body.client_id = f.get('client_id');
    try { setMade(await api('POST', '/api/v1/invitations', body)); ev.target.reset(); }
    catch (e) { setError(e); }
  };
  const roles = kind === 'staff' ? ['staff', 'admin', 'owner'] : ['member', 'admin', 'viewer'];
  return html`<section aria-labelledby="staff-h">
    <h2 id="staff-h">Staff</h2>
    <${ErrorLine} error=${list.error} />
    <div class="scroll"><table aria-label="Staff"><thead><tr><th>Name</th><th>Email</th><th>Role</th><th>MFA</th></tr></thead>
      <tbody>${((list.data && list.data.items) || []).map((u) => html`<tr><td dir="auto">${u.name}</td><td>${u.email}</td><td>${u.role}</td><td>${u.mfa_enabled ? 'on' : 'off'}</td></tr>`)}</tbody></table></div>
    <h2>Invite someone</h2>
    <form class="stack" onSubmit=${invite} aria-label="Invite someone">
      <label>Email <input name="email" type="email" required /></label>
      <label>Kind <select name="kind" value=${kind} onChange=${(e) => setKind(e.target.value)}><option value="staff">staff</option><option value="client">client user</option></select></label>
      <label>Role <select name="role">${roles.map((r) => html`<option value=${r}>${r}</option>`)}</select></label>
      <label>Client ${kind === 'staff' ? '(optional)' : ''} <select name="client_id" required=${kind === 'client'}>
        <option value="">${kind === 'staff' ? 'none' : 'choose…'}</option>
        ${((clients.data && clients.data.items) || []).map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select></label>
      <button type="submit">Send invitation</button>
      <${ErrorLine} error=${error} />
    </form>
    ${made ? html`<div class="panel" role="status"><p>Invitation for ${made.email}, valid until ${formatDate(made.expires_at)}. Send this link:</p>
      <input readonly aria-label="Invitation link" value=${made.accept_url} class="wide" /></div>` : null}
  </section>`;
}

function Security() {
  const cur = useApi('/api/v1/settings/security');
  const [msg, setMsg] = useState('');
  const [error, setError] = useState(null);
  const save = async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    setError(null); setMsg('');
    const num = (k) => (f.get(k) ? Number(f.get(k)) : null);
    try {
      await api('PUT', '/api/v1/settings/security', { require_mfa_for_staff: f.get('mfa') === 'on', session_idle_minutes: num('idle'), session_max_hours: num('max') });
      setMsg('Saved.'); cur.reload();
    } catch (e) { setError(e); }
  };
  const s = cur.data || {};
  if (cur.loading && !cur.data) return html`<p role="status">Loading…</p>`;
  return html`<section aria-labelledby="sec-h"><h2 id="sec-h">Security</h2>
    <form class="stack" onSubmit=${save} aria-label="Security settings">
      <label class="check"><input type="checkbox" name="mfa" checked=${!!s.require_mfa_for_staff} /> Require two-factor authentication for staff</label>
      <label>Sign out after idle minutes (empty: the default) <input type="number" min="1" name="idle" value=${s.session_idle_minutes || ''} /></label>
      <label>Longest session in hours (empty: the default) <input type="number" min="1" name="max" value=${s.session_max_hours || ''} /></label>
      <button type="submit">Save security settings</button>
      <p role="status">${msg}</p><${ErrorLine} error=${error} />
    </form></section>`;
}

// the terms a firm may rename (openapi.yaml Branding.labels), singular and plural
const TERMS = ['client', 'document', 'task', 'thread', 'message', 'invoice', 'folder', 'request', 'project'];
const SECTION_TITLES = {
  new_since_last_login: 'New since your last visit', tasks_due: 'Tasks due', unread_threads: 'Unread messages',
  pending_signatures: 'Awaiting your signature', open_invoices: 'Open invoices', recent_activity: 'Recent activity',
};

/** The error of one field (api.md's envelope names it), shown under its control. */
function FieldError({ id, error, field }) {
  const mine = error && error.field && (error.field === field || error.field.startsWith(field + '[') || error.field.startsWith(field + '.'));
  return html`<span class="error" id=${id} role=${mine ? 'alert' : undefined}>${mine ? error.message : ''}</span>`;
}

function BrandingSection() {
  const { branding } = useApp();
  // the form starts from the branding in force: wait for GET /branding
  return branding && branding.loaded ? html`<${Branding} />` : html`<p role="status">Loading…</p>`;
}

function Branding() {
  const { branding, setBranding } = useApp();
  const [msg, setMsg] = useState('');
  const [error, setError] = useState(null);
  const b = { ...DEFAULT_BRANDING, ...branding };
  const all = Object.keys(SECTION_TITLES);
  const shownFirst = Array.isArray(b.dashboard_sections) && b.dashboard_sections.length ? b.dashboard_sections.filter((x) => all.includes(x)) : all;
  const [sections, setSections] = useState(() => [...shownFirst, ...all.filter((x) => !shownFirst.includes(x))].map((k) => ({ key: k, shown: shownFirst.includes(k) })));
  const move = (i, by) => setSections((ss) => { const out = [...ss]; const j = i + by; if (j < 0 || j >= out.length) return ss; [out[i], out[j]] = [out[j], out[i]]; return out; });
  const toggle = (i) => setSections((ss) => ss.map((x, k) => (k === i ? { ...x, shown: !x.shown } : x)));
  const invalid = (field) => (error && error.field && (error.field === field || error.field.startsWith(field + '[') || error.field.startsWith(field + '.')) ? 'true' : undefined);
  const save = async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const labels = {};
    for (const t of TERMS) for (const k of [t, t + 's']) if ((f.get('label_' + k) || '').trim()) labels[k] = f.get('label_' + k);
    setError(null); setMsg('');
    try {
      const saved = await api('PUT', '/api/v1/settings/branding', {
        portal_name: f.get('portal_name'), primary_color: f.get('primary_color'), logo_url: (f.get('logo_url') || '').trim() || null,
        labels, dashboard_sections: sections.filter((x) => x.shown).map((x) => x.key),
      });
      if (setBranding) setBranding(saved);
      setMsg('Branding saved.');
    } catch (e) { setError(e); }
  };
  const labels = b.labels || {};
  return html`<section aria-labelledby="br-h"><h2 id="br-h">Branding</h2>
    <form class="stack" onSubmit=${save} aria-label="Branding" novalidate>
      <label>Portal name <input name="portal_name" defaultValue=${b.portal_name} dir="auto" aria-invalid=${invalid('portal_name')} aria-describedby="br-err-name" /></label>
      <${FieldError} id="br-err-name" error=${error} field="portal_name" />
      <label>Colour <input type="color" name="primary_color" defaultValue=${b.primary_color || DEFAULT_BRANDING.primary_color} aria-invalid=${invalid('primary_color')} aria-describedby="br-err-colour" /></label>
      <${FieldError} id="br-err-colour" error=${error} field="primary_color" />
      <label>Logo address <input name="logo_url" defaultValue=${b.logo_url || ''} placeholder="https://… or /…" aria-invalid=${invalid('logo_url')} aria-describedby="br-err-logo" /></label>
      <${FieldError} id="br-err-logo" error=${error} field="logo_url" />
      <fieldset><legend>Terms</legend>
        <p class="hint">What the portal calls each thing; leave a box empty for the English term.</p>
        <div class="terms">${TERMS.flatMap((t) => [t, t + 's']).map((k) => html`<div><label>Call “${k}” <input name=${'label_' + k} defaultValue=${labels[k] && labels[k].toLowerCase() !== k ? labels[k] : ''} placeholder=${k} dir="auto" aria-invalid=${invalid('labels.' + k)} aria-describedby=${'br-err-' + k} /></label><${FieldError} id=${'br-err-' + k} error=${error} field=${'labels.' + k} /></div>`)}</div>
      </fieldset>
      <fieldset aria-describedby="br-err-sections"><legend>Dashboard sections, in order</legend>
        <ol class="sections" aria-label="Dashboard sections">${sections.map((x, i) => html`<li>
          <label class="check"><input type="checkbox" checked=${x.shown} onChange=${() => toggle(i)} /> Show “${SECTION_TITLES[x.key]}”</label>
          <button type="button" onClick=${() => move(i, -1)} disabled=${i === 0} aria-label=${'Move “' + SECTION_TITLES[x.key] + '” up'}>↑</button>
          <button type="button" onClick=${() => move(i, 1)} disabled=${i === sections.length - 1} aria-label=${'Move “' + SECTION_TITLES[x.key] + '” down'}>↓</button>
        </li>`)}</ol>
        <p class="hint">With none shown, the dashboard shows all six.</p>
        <${FieldError} id="br-err-sections" error=${error} field="dashboard_sections" />
      </fieldset>
      <button type="submit">Save branding</button>
      <p role="status">${msg}</p><${ErrorLine} error=${error} />
    </form></section>`;
}

function Integrations() {
  const list = useApi('/api/v1/integrations');
  const [error, setError] = useState(null);
  const [msg, setMsg] = useState('');
  const sync = async (p) => { setError(null); try { const r = await api('POST', `/api/v1/integrations/${p}/sync`); setMsg('Sync ' + r.sync_id + ' queued.'); list.reload(); } catch (e) { setError(e); } };
  const items = Array.isArray(list.data) ? list.data : (list.data && list.data.items) || [];
  return html`<section aria-labelledby="int-h"><h2 id="int-h">Integrations</h2>
    <${ErrorLine} error=${list.error || error} /><p role="status">${msg}</p>
    <ul class="list">${items.map((i) => html`<li><strong>${i.provider}</strong> · ${i.status}
      ${i.last_sync_at ? html` · last sync ${formatTime(i.last_sync_at)}` : null}
      ${i.last_error ? html` · <span class="error">${i.last_error}</span>` : null}
      ${i.status === 'connected' ? html` <button type="button" onClick=${() => sync(i.provider)}>Sync ${i.provider} now</button>`
        : html` <a href=${`/api/v1/integrations/${i.provider}/connect`}>Connect ${i.provider}</a>`}</li>`)}</ul>
    ${items.length === 0 ? html`<p><a href="/api/v1/integrations/quickbooks/connect">Connect QuickBooks Online</a></p>` : null}
  </section>`;
}

const FILTERS = ['actor_id', 'client_id', 'resource_type', 'resource_id', 'action', 'since', 'until'];

function Audit() {
  const clients = useApi('/api/v1/clients?limit=200');
  const staff = useApi('/api/v1/staff?limit=200');
  const [filters, setFilters] = useState({});
  const [page, setPage] = useState({ items: [], next: null, loading: true });
  const [error, setError] = useState(null);
  const [verify, setVerify] = useState(null);
  const query = (extra) => {
    const p = {};
    for (const k of FILTERS) if (filters[k]) p[k] = k === 'since' || k === 'until' ? new Date(filters[k]).toISOString() : filters[k];
    return qs({ ...p, ...extra });
  };
  const load = async (cursor) => {
    setError(null);
    try {
      const r = await api('GET', '/api/v1/audit' + query({ limit: 50, cursor }));
      setPage((pg) => ({ items: cursor ? [...pg.items, ...r.items] : r.items, next: r.next_cursor, loading: false }));
    } catch (e) { setError(e); setPage({ items: [], next: null, loading: false }); }
  };
  useEffect(() => { load(null); }, [filters]);
  const apply = (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const next = {};
    for (const k of FILTERS) if (f.get(k)) next[k] = f.get(k);
    setFilters(next);
  };
  const runVerify = async () => { setVerify({ running: true }); try { setVerify(await api('GET', '/api/v1/audit/verify')); } catch (e) { setVerify({ error: e }); } };
  const clientName = (id) => ((clients.data && clients.data.items) || []).find((c) => c.id === id)?.name || '';
  return html`<section aria-labelledby="aud-h"><h2 id="aud-h">Audit trail</h2>
    <form class="filters" onSubmit=${apply} aria-label="Audit filters">
      <label>Person <select name="actor_id"><option value="">anyone</option>${((staff.data && staff.data.items) || []).map((u) => html`<option value=${u.id}>${u.name}</option>`)}</select></label>
      <label>Client <select name="client_id"><option value="">any</option>${((clients.data && clients.data.items) || []).map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select></label>
      <label>Action <input name="action" placeholder="e.g. document.uploaded" /></label>
      <label>Resource type <input name="resource_type" placeholder="e.g. document" /></label>
      <label>Resource id <input name="resource_id" /></label>
      <label>Since <input type="datetime-local" name="since" /></label>
      <label>Until <input type="datetime-local" name="until" /></label>
      <button type="submit">Filter</button>
    </form>
    <p class="actions">
      <a class="button" href=${'/api/v1/audit/export' + query({ format: 'csv' })} download>Export CSV</a>
      <a class="button" href=${'/api/v1/audit/export' + query({ format: 'jsonl' })} download>Export JSON Lines</a>
      <button type="button" onClick=${runVerify}>Verify the chain</button>
    </p>
    ${verify ? html`<p role="status">${verify.running ? 'Verifying…' : verify.error ? verify.error.message
      : verify.ok ? `The chain is intact: ${verify.events} events${verify.checkpoints_ok ? ', checkpoints verified' : ''}.` : `The chain is broken at event ${verify.first_bad_seq}.`}</p>` : null}
    <${ErrorLine} error=${error} />
    <div class="scroll"><table aria-label="Audit events"><thead><tr><th class="num">#</th><th>When</th><th>Who</th><th>Action</th><th>What</th><th>Client</th><th>IP</th></tr></thead>
      <tbody>${page.items.map((e) => html`<tr>
        <td class="num">${e.seq}</td><td class="nowrap">${formatTime(e.at)}</td>
        <td dir="auto">${(e.actor && e.actor.name) || ''}</td><td>${e.action}</td>
        <td dir="auto">${detailsOf(e).name || (e.resource && e.resource.type) || ''}</td>
        <td dir="auto">${clientName(e.client_id)}</td><td>${e.ip}</td></tr>`)}</tbody></table></div>
    ${page.next ? html`<button type="button" onClick=${() => load(page.next)}>Load more events</button>` : null}
  </section>`;
}
