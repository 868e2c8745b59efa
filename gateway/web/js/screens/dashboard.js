// The dashboard: GET /api/v1/dashboard when the server has it; otherwise the
// same sections assembled from the per-client lists the caller may read.
import { useState, useEffect } from 'preact/hooks';
import { html, api, apiAll, useApp, useTerm, link, formatDate, formatTime, formatMoney, ErrorLine, useLiveEvents, detailsOf } from '../lib.js';

const SECTIONS = ['new_since_last_login', 'tasks_due', 'unread_threads', 'pending_signatures', 'open_invoices', 'recent_activity'];
const TITLES = {
  new_since_last_login: 'New since your last visit',
  tasks_due: 'Tasks due',
  unread_threads: 'Unread messages',
  pending_signatures: 'Awaiting signature',
  open_invoices: 'Open invoices',
  recent_activity: 'Recent activity',
};

function items(v) {
  if (Array.isArray(v)) return v;
  if (v && Array.isArray(v.items)) return v.items;
  return [];
}

/** The sections from the caller's clients, when GET /dashboard is not served. */
async function assemble(me) {
  const clients = (await apiAll('/api/v1/clients', 50)).slice(0, 12);
  const out = { tasks_due: [], unread_threads: [], pending_signatures: [], open_invoices: [], recent_activity: [], new_since_last_login: [] };
  const soft = (p) => p.catch(() => []);
  await Promise.all(clients.map(async (c) => {
    const [tasks, threads, invoices, docs] = await Promise.all([
      soft(apiAll(`/api/v1/clients/${c.id}/tasks`, 200)),
      soft(apiAll(`/api/v1/clients/${c.id}/threads`, 200)),
      soft(apiAll(`/api/v1/clients/${c.id}/invoices`, 200)),
      soft(api('GET', `/api/v1/clients/${c.id}/documents?limit=5`).then((p) => p.items || [])),
    ]);
    for (const t of tasks) if (!t.completed_at) out.tasks_due.push({ ...t, client: c });
    for (const t of threads) if (t.unread_count > 0) out.unread_threads.push({ ...t, client: c });
    for (const i of invoices) if (i.status === 'open' || i.status === 'overdue') out.open_invoices.push({ ...i, client: c });
    for (const d of docs) out.new_since_last_login.push({ type: 'document', ...d, client: c });
  }));
  out.tasks_due.sort((a, b) => (a.due_at || '9999').localeCompare(b.due_at || '9999'));
  out.new_since_last_login.sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
  out.new_since_last_login = out.new_since_last_login.slice(0, 8);
  try { out.recent_activity = (await api('GET', '/api/v1/me/activity?limit=10')).items || []; } catch { /* none */ }
  return out;
}

function Row({ kind, it }) {
  const client = it.client || (it.client_id ? { id: it.client_id, name: it.client_name } : null);
  const where = client && client.name ? html` <span class="muted">· <span dir="auto">${client.name}</span></span>` : null;
  switch (kind) {
    case 'tasks_due':
      return html`<li><a href=${client ? link('clients', client.id, 'tasks') : '#/'} dir="auto">${it.title}</a>${where}
        ${it.due_at ? html` <span class="muted">due ${formatDate(it.due_at)}</span>` : null}</li>`;
    case 'unread_threads':
      return html`<li><a href=${link('clients', it.client_id || client.id, 'messages', it.id)} dir="auto">${it.subject}</a>${where}
        <span class="badge">${it.unread_count} unread</span></li>`;
    case 'pending_signatures':
      return html`<li><a href=${link('signatures', it.id)} dir="auto">${it.document_name || it.title || it.message || 'Signature request'}</a>${where}</li>`;
    case 'open_invoices':
      return html`<li><a href=${link('clients', it.client_id || client.id, 'invoices')}>Invoice ${it.number}</a>${where}
        <span class="muted"> ${formatMoney(it.balance, it.currency)} · ${it.status}</span></li>`;
    case 'recent_activity':
      return html`<li><span dir="auto">${(it.actor && it.actor.name) || ''}</span> ${it.action}
        ${detailsOf(it).name ? html` <span dir="auto">${detailsOf(it).name}</span>` : null}
        <span class="muted"> ${formatTime(it.at)}</span></li>`;
    default:
      return html`<li>${it.type === 'document' || it.name ? html`<a href=${link('documents', it.id)} dir="auto">${it.name || it.title}</a>` : html`<span dir="auto">${it.title || it.subject || it.action || ''}</span>`}${where}</li>`;
  }
}

export function Dashboard() {
  const { me, branding } = useApp();
  const t = useTerm();
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const load = async () => {
    try {
      setData(await api('GET', '/api/v1/dashboard'));
    } catch (e) {
      if (e.status !== 404) { setError(e); }
      try { setData(await assemble(me)); } catch (e2) { setError(e2); }
    }
  };
  useEffect(() => { load(); }, []);
  useLiveEvents((ev) => { if (ev.type === 'message.created' || ev.type === 'task.updated') load(); }, []);
  let order = (branding && branding.dashboard_sections) || SECTIONS;
  order = order.filter((s) => SECTIONS.includes(s));
  return html`<section>
    <h1>Welcome, <span dir="auto">${me.user.name}</span></h1>
    <${ErrorLine} error=${error} />
    ${!data ? html`<p role="status">Loading…</p>` : html`<div class="cards">
      ${order.map((s) => {
        const v = data[s];
        const list = items(v);
        return html`<section class="card" aria-labelledby=${'dash-' + s}>
          <h2 id=${'dash-' + s}>${TITLES[s]}</h2>
          ${typeof v === 'number' ? html`<p class="big">${v}</p>`
            : list.length ? html`<ul>${list.slice(0, 8).map((it) => html`<${Row} kind=${s} it=${it} />`)}</ul>`
            : html`<p class="muted">Nothing here.</p>`}
        </section>`;
      })}
    </div>`}
    <p><a href=${link('clients')}>All ${t('client', true)}</a></p>
  </section>`;
}
