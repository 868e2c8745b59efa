// Tasks of a client: a list and a board by status, creation, status change
// and completion; refreshed live on task.updated events.
import { useState, useEffect } from 'preact/hooks';
import { html, api, apiAll, useApi, useApp, formatDate, ErrorLine, useLiveEvents } from '../lib.js';

const DEFAULT_STATUSES = [
  { key: 'open', label: 'Open', done: false },
  { key: 'in_progress', label: 'In progress', done: false },
  { key: 'blocked', label: 'Blocked', done: false },
  { key: 'done', label: 'Done', done: true },
];

export function TasksTab({ clientId }) {
  const { me } = useApp();
  const [view, setView] = useState('list');
  const [tasks, setTasks] = useState(null);
  const [error, setError] = useState(null);
  const st = useApi('/api/v1/settings/task-statuses');
  const members = useApi(`/api/v1/clients/${encodeURIComponent(clientId)}/members?limit=200`);
  const statuses = (st.data && (Array.isArray(st.data) ? st.data : st.data.items)) || DEFAULT_STATUSES;
  const people = (members.data && members.data.items) || [];
  const nameOf = (uid) => (people.find((m) => m.user_id === uid) || {}).name || (uid === me.user.id ? me.user.name : 'someone');
  const load = async () => {
    try { setTasks(await apiAll(`/api/v1/clients/${encodeURIComponent(clientId)}/tasks`, 1000)); }
    catch (e) { setError(e); setTasks([]); }
  };
  useEffect(() => { load(); }, [clientId]);
  useLiveEvents((ev) => {
    if (ev.type !== 'task.updated' || !ev.data || ev.data.client_id !== clientId) return;
    setTasks((ts) => {
      if (!ts) return ts;
      const i = ts.findIndex((t) => t.id === ev.data.id);
      if (i < 0) return [ev.data, ...ts];
      const copy = ts.slice(); copy[i] = { ...copy[i], ...ev.data }; return copy;
    });
  }, [clientId]);
  const replace = (t) => setTasks((ts) => ts.map((x) => (x.id === t.id ? t : x)));
  const act = async (fn) => { setError(null); try { const t = await fn(); if (t && t.id) replace(t); else load(); } catch (e) { setError(e); } };
  const complete = (t) => act(() => api('POST', `/api/v1/tasks/${t.id}/complete`));
  const setStatus = (t, status) => act(() => api('PATCH', `/api/v1/tasks/${t.id}`, { status }));
  const isDone = (t) => !!t.completed_at || (statuses.find((s) => s.key === t.status) || {}).done;
  const canEdit = !(me.clients && (me.clients.find((c) => c.id === clientId) || {}).role === 'viewer');
  const create = async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const f = new FormData(form);
    const body = { title: f.get('title') };
    if (f.get('due')) body.due_at = new Date(f.get('due') + 'T17:00:00').toISOString();
    if (f.get('assignee')) body.assignee_ids = [f.get('assignee')];
    setError(null);
    try { const t = await api('POST', `/api/v1/clients/${clientId}/tasks`, body); setTasks((ts) => [t, ...(ts || []).filter((x) => x.id !== t.id)]); form.reset(); }
    catch (e) { setError(e); }
  };
  const statusLabel = (k) => (statuses.find((s) => s.key === k) || {}).label || k;
  const assignees = (t) => (t.assignee_ids || []).map(nameOf).join(', ');
  const controls = (t) => html`${canEdit && me.user.kind === 'staff' ? html`<select aria-label=${'Status of ' + t.title} value=${t.status} onChange=${(e) => setStatus(t, e.target.value)}>
      ${statuses.map((s) => html`<option value=${s.key}>${s.label}</option>`)}</select>` : null}
    ${canEdit && !isDone(t) ? html` <button type="button" onClick=${() => complete(t)} aria-label=${'Complete ' + t.title}>Complete</button>` : null}`;
  const list = tasks || [];
  return html`<section aria-labelledby="tasks-h">
    <h2 id="tasks-h">Tasks</h2>
    <div class="toolbar" role="group" aria-label="Task view">
      <button type="button" aria-pressed=${view === 'list' ? 'true' : 'false'} onClick=${() => setView('list')}>List</button>
      <button type="button" aria-pressed=${view === 'board' ? 'true' : 'false'} onClick=${() => setView('board')}>Board</button>
    </div>
    <${ErrorLine} error=${error} />
    ${me.user.kind === 'staff' ? html`<form class="inline" onSubmit=${create} aria-label="New task">
      <label>New task <input name="title" required dir="auto" /></label>
      <label>Due <input type="date" name="due" /></label>
      <label>Assignee <select name="assignee"><option value="">nobody</option>${people.map((m) => html`<option value=${m.user_id}>${m.name}</option>`)}</select></label>
      <button type="submit">Add task</button></form>` : null}
    ${tasks === null ? html`<p role="status">Loading…</p>` : list.length === 0 ? html`<p class="muted">No tasks.</p>` : view === 'list' ? html`
      <div class="scroll"><table aria-label="Tasks">
        <thead><tr><th>Task</th><th>Status</th><th>Assignees</th><th>Due</th><th></th></tr></thead>
        <tbody>${list.map((t) => html`<tr class=${isDone(t) ? 'done' : ''}>
          <td dir="auto">${t.title}</td><td>${statusLabel(t.status)}</td><td dir="auto">${assignees(t)}</td>
          <td>${formatDate(t.due_at)}</td><td class="nowrap">${controls(t)}</td></tr>`)}</tbody></table></div>` : html`
      <div class="board">${statuses.map((s) => html`<section class="column" aria-label=${s.label}>
        <h3>${s.label} <span class="muted">${list.filter((t) => t.status === s.key).length}</span></h3>
        <ul>${list.filter((t) => t.status === s.key).map((t) => html`<li class="card">
          <p dir="auto" class="title">${t.title}</p>
          ${t.due_at ? html`<p class="muted">due ${formatDate(t.due_at)}</p>` : null}
          ${assignees(t) ? html`<p class="muted" dir="auto">${assignees(t)}</p>` : null}
          <p>${controls(t)}</p></li>`)}</ul></section>`)}</div>`}
  </section>`;
}
