// The dashboard: GET /api/v1/dashboard (gateway/gw_dashboard.c, the
// Dashboard schema of openapi.yaml). Each section is an object with counts
// and a few items, or null when its service did not answer (`partial`).
// "Awaiting your signature" lists GET /api/v1/signature-requests?awaiting_me=true,
// each linking to its document. Sections follow branding.dashboard_sections.
import { useState, useEffect } from 'preact/hooks';
import { html, api, apiAll, useApp, useTerm, link, formatDate, formatTime, ErrorLine, useLiveEvents } from '../lib.js';

export const SECTIONS = ['new_since_last_login', 'tasks_due', 'unread_threads', 'pending_signatures', 'open_invoices', 'recent_activity'];

function titles(t) {
  return {
    new_since_last_login: 'New since your last visit',
    tasks_due: `${t('Task', true)} due`,
    unread_threads: `Unread ${t('message', true)}`,
    pending_signatures: 'Awaiting your signature',
    open_invoices: `Open ${t('invoice', true)}`,
    recent_activity: 'Recent activity',
  };
}

const list = (v) => (v && Array.isArray(v.items) ? v.items : []);
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function ClientName({ names, id }) {
  const n = id && names[id];
  return n ? html` <span class="muted">· <span dir="auto">${n}</span></span>` : null;
}

function NewDocuments({ v, names, t }) {
  const items = list(v);
  return html`<p class="big">${v.count}</p>
    <p class="muted">${v.since ? `${plural(v.count, t('document'), t('document', true))} added since ${formatTime(v.since)}` : `${plural(v.count, t('document'), t('document', true))} so far`}</p>
    ${items.length ? html`<ul>${items.map((d) => html`<li><a href=${link('documents', d.id)} dir="auto">${d.name}</a><${ClientName} names=${names} id=${d.client_id} /></li>`)}</ul>` : null}`;
}

function TasksDue({ v, names }) {
  const items = list(v);
  const now = Date.now();
  return html`<p class="muted">${v.overdue} overdue · ${v.due_soon} due within a week</p>
    ${items.length ? html`<ul>${items.map((it) => html`<li>
      <a href=${link('clients', it.client_id, 'tasks')} dir="auto">${it.title}</a><${ClientName} names=${names} id=${it.client_id} />
      ${it.due_at ? html` <span class=${new Date(it.due_at).getTime() < now ? 'tag status-overdue' : 'muted'}>due ${formatDate(it.due_at)}</span>` : null}</li>`)}</ul>`
      : html`<p class="muted">Nothing due.</p>`}`;
}

function UnreadThreads({ v, names }) {
  const items = list(v);
  return html`<p class="muted">${plural(v.messages, 'unread message', 'unread messages')} in ${plural(v.count, 'thread', 'threads')}</p>
    ${items.length ? html`<ul>${items.map((it) => html`<li>
      <a href=${link('clients', it.client_id, 'messages', it.id)} dir="auto">${it.subject}</a><${ClientName} names=${names} id=${it.client_id} />
      <span class="badge">${it.unread_count} unread</span></li>`)}</ul>` : null}`;
}

function PendingSignatures({ v, awaiting, names }) {
  return html`<p class="big">${v.count}</p>
    <p class="muted">${plural(v.count, 'document awaits', 'documents await')} your signature</p>
    ${awaiting && awaiting.length ? html`<ul aria-label="Documents awaiting your signature">${awaiting.map((r) => html`<li>
      <a href=${link('documents', r.document_id)} dir="auto">${r.document_name || 'Document'}</a><${ClientName} names=${names} id=${r.client_id} />
      ${r.kind === 'approval' ? html` <span class="tag">approval</span>` : null}
      ${r.due_at ? html` <span class="muted">due ${formatDate(r.due_at)}</span>` : null}</li>`)}</ul>` : null}`;
}

function OpenInvoices({ v }) {
  const totals = Array.isArray(v.totals) ? v.totals : [];
  return html`<p class="big">${v.count}</p>
    <p class="muted">${v.overdue} overdue</p>
    ${totals.length ? html`<ul>${totals.map((x) => html`<li>${x.balance} ${x.currency} <span class="muted">in ${plural(x.count, 'invoice', 'invoices')}${x.overdue_count ? ` · ${x.overdue_balance} ${x.currency} overdue` : ''}</span></li>`)}</ul>` : null}`;
}

function RecentActivity({ v, names }) {
  const items = list(v);
  if (!items.length) return html`<p class="muted">Nothing yet.</p>`;
  return html`<ul>${items.map((it) => html`<li>
    <span dir="auto">${(it.actor && it.actor.name) || 'Someone'}</span>
    ${it.resource && it.resource.type === 'document' && it.resource.id ? html` <a href=${link('documents', it.resource.id)}>${it.action}</a>` : ' ' + it.action}
    <${ClientName} names=${names} id=${it.client_id} />
    <span class="muted"> ${formatTime(it.at)}</span></li>`)}</ul>`;
}

const BODIES = {
  new_since_last_login: NewDocuments, tasks_due: TasksDue, unread_threads: UnreadThreads,
  pending_signatures: PendingSignatures, open_invoices: OpenInvoices, recent_activity: RecentActivity,
};

export function Dashboard() {
  const { me, branding } = useApp();
  const t = useTerm();
  const [data, setData] = useState(null);
  const [awaiting, setAwaiting] = useState(null);
  const [names, setNames] = useState({});
  const [error, setError] = useState(null);
  const load = async () => {
    try { setData(await api('GET', '/api/v1/dashboard')); setError(null); } catch (e) { setError(e); }
    try { setAwaiting(((await api('GET', '/api/v1/signature-requests?awaiting_me=true&limit=8')) || {}).items || []); } catch { setAwaiting([]); }
  };
  useEffect(() => {
    load();
    apiAll('/api/v1/clients', 200).then((cs) => setNames(Object.fromEntries(cs.map((c) => [c.id, c.name])))).catch(() => {});
  }, []);
  useLiveEvents((ev) => {
    if (['message.created', 'task.updated', 'notification', 'document.created'].includes(ev.type)) load();
  }, []);
  const TITLES = titles(t);
  let order = (branding && Array.isArray(branding.dashboard_sections) && branding.dashboard_sections.length) ? branding.dashboard_sections : SECTIONS;
  order = order.filter((s) => SECTIONS.includes(s));
  return html`<section>
    <h1>Welcome, <span dir="auto">${me.user.name}</span></h1>
    <${ErrorLine} error=${error} />
    ${data && data.partial ? html`<p class="warning" role="status">Some sections cannot be shown right now${data.unavailable && data.unavailable.length ? ` (${data.unavailable.join(', ')} not answering)` : ''}.</p>` : null}
    ${!data ? (error ? null : html`<p role="status">Loading…</p>`) : html`<div class="cards">
      ${order.map((s) => {
        const v = data[s];
        const Body = BODIES[s];
        return html`<section class="card" aria-labelledby=${'dash-' + s}>
          <h2 id=${'dash-' + s}>${TITLES[s]}</h2>
          ${v == null ? html`<p class="muted">Not available right now.</p>` : html`<${Body} v=${v} names=${names} t=${t} awaiting=${awaiting} />`}
        </section>`;
      })}
    </div>`}
    <p><a href=${link('clients')}>All ${t('client', true)}</a></p>
  </section>`;
}
