// Clients: the list with search (and creation for owners/admins), and one
// client's page with its tabs: documents, tasks, messages, invoices, members.
import { useState } from 'preact/hooks';
import { html, api, apiAll, useApi, useApp, useTerm, link, navigate, formatDate, ErrorLine } from '../lib.js';
import { DocumentsTab } from './documents.js';
import { TasksTab } from './tasks.js';
import { MessagesTab } from './messages.js';

export function ClientList() {
  const { me } = useApp();
  const t = useTerm();
  const list = useApi('/api/v1/clients?limit=200');
  const [q, setQ] = useState('');
  const [error, setError] = useState(null);
  const admin = me.user.kind === 'staff' && (me.user.role === 'owner' || me.user.role === 'admin');
  const create = async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    setError(null);
    try {
      const c = await api('POST', '/api/v1/clients', { name: new FormData(form).get('name') });
      form.reset();
      navigate(link('clients', c.id));
    } catch (e) { setError(e); }
  };
  const items = ((list.data && list.data.items) || []).filter((c) => c.name.toLowerCase().includes(q.trim().toLowerCase()));
  return html`<section>
    <h1>${t('Client', true)}</h1>
    <div class="toolbar">
      <label>Search ${t('client', true)} <input type="search" value=${q} onInput=${(e) => setQ(e.target.value)} /></label>
    </div>
    <${ErrorLine} error=${list.error} />
    ${list.loading && !list.data ? html`<p role="status">Loading…</p>` : html`
      <ul class="list" aria-label=${t('Client', true)}>
        ${items.map((c) => html`<li><a href=${link('clients', c.id)} dir="auto">${c.name}</a>
          <span class="muted"> since ${formatDate(c.created_at)}</span></li>`)}
      </ul>
      ${items.length === 0 ? html`<p class="muted">No ${t('client', true)} match.</p>` : null}`}
    ${admin ? html`<form class="inline" onSubmit=${create} aria-label=${'New ' + t('client')}>
      <label>New ${t('client')} name <input name="name" required dir="auto" /></label>
      <button type="submit">Create ${t('client')}</button>
      <${ErrorLine} error=${error} /></form>` : null}
  </section>`;
}

// tab keys and the branding term each is named by (labels may rename them)
const TABS = [['documents', 'Document'], ['tasks', 'Task'], ['messages', 'Message'], ['invoices', 'Invoice'], ['members', 'Member']];

export function ClientView({ clientId, tab, sub }) {
  const t = useTerm();
  const client = useApi('/api/v1/clients/' + encodeURIComponent(clientId));
  if (client.notFound) return html`<section><h1>Not found</h1><p>This ${t('client')} does not exist or is not yours to see.</p></section>`;
  const c = client.data;
  let body = null;
  if (tab === 'documents') body = html`<${DocumentsTab} clientId=${clientId} />`;
  else if (tab === 'tasks') body = html`<${TasksTab} clientId=${clientId} />`;
  else if (tab === 'messages') body = html`<${MessagesTab} clientId=${clientId} threadId=${sub} />`;
  else if (tab === 'invoices') body = html`<${Invoices} clientId=${clientId} />`;
  else if (tab === 'members') body = html`<${Members} clientId=${clientId} />`;
  return html`<section>
    <p class="crumbs"><a href=${link('clients')}>${t('Client', true)}</a></p>
    <h1 dir="auto" class="client-name">${c ? c.name : '…'}</h1>
    <${ErrorLine} error=${client.error} />
    <nav class="tabs" aria-label=${t('Client') + ' sections'}>
      ${TABS.map(([key, word]) => html`<a href=${link('clients', clientId, key)} aria-current=${tab === key ? 'page' : undefined}>${t(word, true)}</a>`)}
    </nav>
    ${body}
  </section>`;
}

function Invoices({ clientId }) {
  const list = useApi(`/api/v1/clients/${encodeURIComponent(clientId)}/invoices?limit=200`);
  const items = (list.data && list.data.items) || [];
  return html`<section aria-labelledby="inv-h">
    <h2 id="inv-h">Invoices</h2>
    <${ErrorLine} error=${list.error} />
    ${list.notFound ? html`<p class="muted">Invoices are not available.</p>` : null}
    ${items.length === 0 && !list.loading ? html`<p class="muted">No invoices.</p>` : html`
    <div class="scroll"><table>
      <thead><tr><th>Number</th><th>Issued</th><th>Due</th><th class="num">Total</th><th class="num">Balance</th><th>Status</th><th></th></tr></thead>
      <tbody>${items.map((i) => html`<tr>
        <td dir="auto">${i.number}</td><td>${formatDate(i.issued_on)}</td><td>${formatDate(i.due_on)}</td>
        <td class="num">${i.total} ${i.currency}</td><td class="num">${i.balance} ${i.currency}</td>
        <td><span class=${'status status-' + i.status}>${i.status}</span></td>
        <td>${i.pay_url && i.status !== 'paid' && /^https?:/.test(i.pay_url) ? html`<a href=${i.pay_url} rel="noopener noreferrer" target="_blank">Pay invoice ${i.number}</a>` : null}</td>
      </tr>`)}</tbody></table></div>`}
  </section>`;
}

const CLIENT_ROLES = ['admin', 'member', 'viewer'];

function Members({ clientId }) {
  const { me } = useApp();
  const t = useTerm();
  const list = useApi(`/api/v1/clients/${encodeURIComponent(clientId)}/members?limit=200`);
  const [error, setError] = useState(null);
  const [invite, setInvite] = useState(null);
  const mine = (me.clients || []).find((c) => c.id === clientId);
  const canManage = (me.user.kind === 'staff' && (me.user.role === 'owner' || me.user.role === 'admin')) || (mine && mine.role === 'admin');
  const run = async (fn) => { setError(null); try { await fn(); list.reload(); } catch (e) { setError(e); } };
  const setRole = (m, role) => run(() => api('PUT', `/api/v1/clients/${clientId}/members/${m.user_id}`, { role }));
  const remove = (m) => confirm(`Remove ${m.name} from this ${t('client')}?`) && run(() => api('DELETE', `/api/v1/clients/${clientId}/members/${m.user_id}`));
  const sendInvite = async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    setError(null);
    try {
      setInvite(await api('POST', '/api/v1/invitations', { email: f.get('email'), kind: 'client', role: f.get('role'), client_id: clientId }));
      ev.target.reset();
    } catch (e) { setError(e); }
  };
  const items = (list.data && list.data.items) || [];
  return html`<section aria-labelledby="mem-h">
    <h2 id="mem-h">Members</h2>
    <${ErrorLine} error=${list.error || error} />
    <div class="scroll"><table>
      <thead><tr><th>Name</th><th>Email</th><th>Kind</th><th>Role</th>${canManage ? html`<th></th>` : null}</tr></thead>
      <tbody>${items.map((m) => html`<tr>
        <td dir="auto">${m.name}</td><td>${m.email}</td><td>${m.kind}</td>
        <td>${canManage && m.kind === 'client' ? html`<select aria-label=${'Role of ' + m.name} value=${m.role} onChange=${(e) => setRole(m, e.target.value)}>
            ${CLIENT_ROLES.map((r) => html`<option value=${r}>${r}</option>`)}</select>` : m.role}</td>
        ${canManage ? html`<td>${m.user_id !== me.user.id ? html`<button type="button" onClick=${() => remove(m)} aria-label=${'Remove ' + m.name}>Remove</button>` : null}</td>` : null}
      </tr>`)}</tbody></table></div>
    ${canManage ? html`<form class="inline" onSubmit=${sendInvite} aria-label="Invite a member">
      <label>Email <input name="email" type="email" required /></label>
      <label>Role <select name="role">${CLIENT_ROLES.map((r) => html`<option value=${r} selected=${r === 'member'}>${r}</option>`)}</select></label>
      <button type="submit">Invite</button></form>` : null}
    ${invite ? html`<div class="panel" role="status"><p>Invitation for ${invite.email}, valid until ${formatDate(invite.expires_at)}. Send this link:</p>
      <p><input readonly aria-label="Invitation link" value=${invite.accept_url} class="wide" /></p></div>` : null}
  </section>`;
}
