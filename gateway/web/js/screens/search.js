// Search: GET /api/v1/search?q= (documents by name and content, tasks,
// messages), best first; `partial` when a service did not answer.
import { useState, useEffect } from 'preact/hooks';
import { html, api, link, useTerm, ErrorLine } from '../lib.js';

function href(it) {
  switch (it.type) {
    case 'document': return link('documents', it.id);
    case 'task': return link('clients', it.client_id, 'tasks');
    // a message hit names the message, not its thread: the client's threads
    case 'message': return link('clients', it.client_id, 'messages');
    default: return link('clients', it.client_id);
  }
}

export function Search({ q }) {
  const t = useTerm();
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setResult(null);
    setError(null);
    if (!q) { setResult({ items: [], partial: false }); return; }
    api('GET', '/api/v1/search?limit=50&q=' + encodeURIComponent(q))
      .then((r) => setResult({ items: (r && r.items) || [], partial: !!(r && r.partial) }))
      .catch((e) => { setError(e); setResult({ items: [], partial: false }); });
  }, [q]);
  const items = result ? result.items : null;
  return html`<section>
    <h1>Search results for “<span dir="auto">${q}</span>”</h1>
    <${ErrorLine} error=${error} />
    ${result && result.partial ? html`<p class="warning" role="status">Some results may be missing: a service did not answer.</p>` : null}
    ${items === null ? html`<p role="status">Searching…</p>` : items.length === 0 ? (error ? null : html`<p>Nothing found.</p>`) : html`
    <ul class="list" aria-label="Search results">${items.map((it) => html`<li>
      <span class="tag">${t(it.type)}</span> <a href=${href(it)} dir="auto">${it.title}</a>
      ${it.snippet ? html`<p class="muted snippet" dir="auto">${it.snippet}</p>` : null}</li>`)}</ul>`}
  </section>`;
}
