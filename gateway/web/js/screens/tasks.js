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

/** A Gantt chart (SVG) of GET /clients/{id}/gantt, or of the tasks' own dates when that is not served. */
function Gantt({ clientId, tasks }) {
  const [items, setItems] = useState(null);
  useEffect(() => {
    api('GET', `/api/v1/clients/${encodeURIComponent(clientId)}/gantt`)
      .then((r) => setItems(r.items || []))
      .catch(() => setItems(tasks.map((t) => ({ id: t.id, title: t.title, start_at: t.start_at || t.created_at, due_at: t.due_at, progress: t.completed_at ? 1 : 0, depends_on: [] }))));
  }, [clientId, tasks.length]);
  if (items === null) return html`<p role="status">Loading…</p>`;
  const dated = items.filter((i) => i.start_at || i.due_at);
  if (!dated.length) return html`<p class="muted">No task has dates yet.</p>`;
  const t = (s) => new Date(s).getTime();
  const start = (i) => t(i.start_at || i.due_at), end = (i) => Math.max(t(i.due_at || i.start_at), start(i) + 3600e3);
  const min = Math.min(...dated.map(start)), max = Math.max(...dated.map(end));
  const W = 1000, label = 260, rowH = 28, scale = (W - label - 10) / Math.max(max - min, 86400e3);
  const x = (ms) => label + (ms - min) * scale;
  const row = new Map(dated.map((i, n) => [i.id, n]));
  const H = dated.length * rowH + 30;
  const arrows = [];
  dated.forEach((i) => (i.depends_on || []).forEach((d) => {
    const from = dated[row.get(d)];
    if (!from) return;
    const y1 = row.get(d) * rowH + 24, y2 = row.get(i.id) * rowH + 24, x1 = x(end(from)), x2 = x(start(i));
    arrows.push(html`<path class="dep" d=${`M${x1} ${y1} H${Math.max(x1 + 8, x2 - 8)} V${y2} H${x2}`} />`);
  }));
  return html`<div class="scroll"><svg class="gantt" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label="Timeline of the tasks">
    <text x="4" y="14" class="axis">${formatDate(new Date(min).toISOString())}</text>
    <text x=${W - 4} y="14" class="axis" text-anchor="end">${formatDate(new Date(max).toISOString())}</text>
    ${dated.map((i, n) => html`<g>
      <text x="4" y=${n * rowH + 28} class="gantt-label">${i.title.length > 34 ? i.title.slice(0, 33) + '…' : i.title}</text>
      <rect class="bar" x=${x(start(i))} y=${n * rowH + 16} width=${Math.max(4, x(end(i)) - x(start(i)))} height="16" rx="3" />
      <rect class="bar-done" x=${x(start(i))} y=${n * rowH + 16} width=${Math.max(0, (x(end(i)) - x(start(i))) * Math.min(1, Number(i.progress) || 0))} height="16" rx="3" />
    </g>`)}
    ${arrows}
  </svg></div>`;
}

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
      <button type="button" aria-pressed=${view === 'gantt' ? 'true' : 'false'} onClick=${() => setView('gantt')}>Timeline</button>
    </div>
    <${ErrorLine} error=${error} />
    ${me.user.kind === 'staff' ? html`<form class="inline" onSubmit=${create} aria-label="New task">
      <label>New task <input name="title" required dir="auto" /></label>
      <label>Due <input type="date" name="due" /></label>
      <label>Assignee <select name="assignee"><option value="">nobody</option>${people.map((m) => html`<option value=${m.user_id}>${m.name}</option>`)}</select></label>
      <button type="submit">Add task</button></form>` : null}
    ${tasks === null ? html`<p role="status">Loading…</p>` : list.length === 0 ? html`<p class="muted">No tasks.</p>` : view === 'gantt' ? html`<${Gantt} clientId=${clientId} tasks=${list} />` : view === 'list' ? html`
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
