// Search: GET /api/v1/search when the server has it; otherwise client names
// and document names of the caller's clients.
import { useState, useEffect } from 'preact/hooks';
import { html, api, apiAll, link, useTerm, ErrorLine } from '../lib.js';

async function fallback(q) {
  const needle = q.toLowerCase();
  const clients = await apiAll('/api/v1/clients', 200);
  const out = clients.filter((c) => c.name.toLowerCase().includes(needle)).map((c) => ({ type: 'client', id: c.id, title: c.name, client_id: c.id }));
  await Promise.all(clients.slice(0, 25).map(async (c) => {
    try {
      const page = await api('GET', `/api/v1/clients/${c.id}/documents?limit=20&q=${encodeURIComponent(q)}`);
      for (const d of page.items || []) out.push({ type: 'document', id: d.id, title: d.name, client_id: c.id, snippet: c.name });
    } catch { /* skip */ }
  }));
  return out;
}

function href(it) {
  switch (it.type) {
    case 'document': return link('documents', it.id);
    case 'task': return link('clients', it.client_id, 'tasks');
    case 'message': case 'thread': return link('clients', it.client_id, 'messages', it.thread_id || it.id);
    case 'client': return link('clients', it.id);
    default: return link('clients', it.client_id);
  }
}

export function Search({ q }) {
  const t = useTerm();
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setItems(null);
    if (!q) { setItems([]); return; }
    api('GET', '/api/v1/search?q=' + encodeURIComponent(q))
      .then((r) => setItems(r.items || []))
      .catch((e) => (e.status === 404 ? fallback(q).then(setItems) : Promise.reject(e)))
      .catch((e) => { setError(e); setItems([]); });
  }, [q]);
  return html`<section>
    <h1>Search results for “<span dir="auto">${q}</span>”</h1>
    <${ErrorLine} error=${error} />
    ${items === null ? html`<p role="status">Searching…</p>` : items.length === 0 ? html`<p>Nothing found.</p>` : html`
    <ul class="list" aria-label="Search results">${items.map((it) => html`<li>
      <span class="tag">${it.type === 'client' ? t('client') : it.type}</span> <a href=${href(it)} dir="auto">${it.title}</a>
      ${it.snippet ? html`<p class="muted" dir="auto">${it.snippet}</p>` : null}</li>`)}</ul>`}
  </section>`;
}
