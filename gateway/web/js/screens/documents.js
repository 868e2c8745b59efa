// Documents: a client's folder tree, its documents, drag-and-drop upload of
// several files with a progress bar each; one document's page (preview,
// versions, activity, download, signature requests); a signature request's
// page (sign, approve or decline).
import { useState, useEffect, useRef } from 'preact/hooks';
import { html, api, apiAll, useApi, useApp, link, formatBytes, formatTime, formatDate, ErrorLine } from '../lib.js';
import { uploadFile } from '../upload.js';

function isStaff(me) { return me.user.kind === 'staff'; }

function FolderTree({ folders, selected, onSelect }) {
  const children = (pid) => folders.filter((f) => (f.parent_id || null) === pid);
  const node = (f) => html`<li>
    <button type="button" class="folder" aria-pressed=${selected === f.id ? 'true' : 'false'} onClick=${() => onSelect(f.id)}>
      <span dir="auto">${f.name}</span>${f.visibility === 'internal' ? html` <span class="tag">internal</span>` : null}
    </button>
    ${children(f.id).length ? html`<ul>${children(f.id).map(node)}</ul>` : null}
  </li>`;
  return html`<nav class="tree" aria-label="Folders"><ul>
    <li><button type="button" class="folder" aria-pressed=${selected === null ? 'true' : 'false'} onClick=${() => onSelect(null)}>All documents</button></li>
    <li><button type="button" class="folder" aria-pressed=${selected === 'root' ? 'true' : 'false'} onClick=${() => onSelect('root')}>Top level</button></li>
    ${children(null).map(node)}
  </ul></nav>`;
}

function NewFolder({ clientId, parentId, onCreated }) {
  const { me } = useApp();
  const [error, setError] = useState(null);
  const submit = async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    setError(null);
    try {
      const body = { name: f.get('name') };
      if (parentId && parentId !== 'root') body.parent_id = parentId;
      if (f.get('visibility')) body.visibility = f.get('visibility');
      await api('POST', `/api/v1/clients/${clientId}/folders`, body);
      ev.target.reset();
      onCreated();
    } catch (e) { setError(e); }
  };
  return html`<form class="stack" onSubmit=${submit} aria-label="New folder">
    <label>New folder name <input name="name" required dir="auto" /></label>
    ${isStaff(me) ? html`<label>Visibility <select name="visibility"><option value="shared">shared with the client</option><option value="internal">internal (staff only)</option></select></label>` : null}
    <button type="submit">Create folder</button>
    <${ErrorLine} error=${error} /></form>`;
}

/** The drop zone and file chooser, with one progress bar per file being uploaded. */
export function Uploader({ clientId, folderId, onUploaded }) {
  const [uploads, setUploads] = useState([]);
  const [over, setOver] = useState(false);
  const seq = useRef(0);
  const update = (id, patch) => setUploads((us) => us.map((u) => (u.id === id ? { ...u, ...patch } : u)));
  const start = (files) => {
    for (const file of files) {
      const id = ++seq.current;
      setUploads((us) => [...us, { id, name: file.name, size: file.size, loaded: 0, state: 'uploading', error: null }]);
      uploadFile(file, { clientId, folderId: folderId && folderId !== 'root' ? folderId : null }, (loaded) => update(id, { loaded }))
        .then(() => { update(id, { state: 'done', loaded: file.size }); onUploaded(); })
        .catch((e) => update(id, { state: 'failed', error: e.message }));
    }
  };
  const drop = (ev) => {
    ev.preventDefault();
    setOver(false);
    const files = [...((ev.dataTransfer && ev.dataTransfer.files) || [])];
    if (files.length) start(files);
  };
  return html`<section class=${'dropzone' + (over ? ' over' : '')} aria-label="Upload files"
      onDragOver=${(e) => { e.preventDefault(); setOver(true); }} onDragEnter=${(e) => { e.preventDefault(); setOver(true); }}
      onDragLeave=${() => setOver(false)} onDrop=${drop}>
    <p>Drop files here, or
      <label class="button">Choose files<input type="file" multiple class="visually-hidden"
        onChange=${(e) => { start([...e.target.files]); e.target.value = ''; }} /></label></p>
    ${uploads.length ? html`<ul class="uploads" aria-label="Uploads">${uploads.map((u) => html`<li>
      <span dir="auto" class="name">${u.name}</span>
      <progress max=${u.size || 1} value=${u.loaded} aria-label=${'Upload of ' + u.name}></progress>
      <span class="muted">${u.state === 'done' ? 'uploaded' : u.state === 'failed' ? html`<span role="alert">${u.error}</span>` : Math.floor((100 * u.loaded) / (u.size || 1)) + '%'}</span>
    </li>`)}</ul>` : null}
  </section>`;
}

export function DocumentsTab({ clientId }) {
  const { me } = useApp();
  const [folder, setFolder] = useState(null);
  const [q, setQ] = useState('');
  const folders = useApi(`/api/v1/clients/${encodeURIComponent(clientId)}/folders`);
  const [docs, setDocs] = useState({ items: [], next: null, loading: true, error: null });
  const base = `/api/v1/clients/${encodeURIComponent(clientId)}/documents?limit=100` +
    (folder ? '&folder_id=' + encodeURIComponent(folder) : '') + (q.trim() ? '&q=' + encodeURIComponent(q.trim()) : '');
  const load = async (cursor) => {
    try {
      const page = await api('GET', base + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
      setDocs((d) => ({ items: cursor ? [...d.items, ...page.items] : page.items, next: page.next_cursor, loading: false, error: null }));
    } catch (e) { setDocs((d) => ({ ...d, loading: false, error: e })); }
  };
  useEffect(() => { load(null); }, [base]);
  const folderList = (folders.data && folders.data.items) || [];
  const folderName = (id) => (folderList.find((f) => f.id === id) || {}).name;
  return html`<section aria-labelledby="docs-h" class="docs">
    <h2 id="docs-h">Documents</h2>
    <div class="split">
      <aside>
        <${FolderTree} folders=${folderList} selected=${folder} onSelect=${setFolder} />
        <${NewFolder} clientId=${clientId} parentId=${folder} onCreated=${folders.reload} />
      </aside>
      <div class="grow">
        <div class="toolbar"><label>Search documents <input type="search" value=${q} onInput=${(e) => setQ(e.target.value)} /></label></div>
        ${me.clients && (me.clients.find((c) => c.id === clientId) || {}).role === 'viewer' ? null
          : html`<${Uploader} clientId=${clientId} folderId=${folder} onUploaded=${() => load(null)} />`}
        <${Requests} clientId=${clientId} onUploaded=${() => load(null)} />
        <${ErrorLine} error=${docs.error} />
        ${docs.loading ? html`<p role="status">Loading…</p>` : docs.items.length === 0 ? html`<p class="muted">No documents here yet.</p>` : html`
        <div class="scroll"><table aria-label="Documents">
          <thead><tr><th>Name</th><th class="num">Size</th><th class="num">Version</th><th>Folder</th><th>Updated</th><th><span class="visually-hidden">Download</span></th></tr></thead>
          <tbody>${docs.items.map((d) => html`<tr>
            <td><a href=${link('documents', d.id)} dir="auto">${d.name}</a></td>
            <td class="num">${formatBytes(d.size)}</td>
            <td class="num">${d.version}</td>
            <td dir="auto">${d.folder_id ? folderName(d.folder_id) || '' : ''}</td>
            <td>${formatTime(d.updated_at || d.created_at)}</td>
            <td><a href=${`/api/v1/documents/${encodeURIComponent(d.id)}/content`} download aria-label=${'Download ' + d.name}>Download</a></td>
          </tr>`)}</tbody></table></div>`}
        ${docs.next ? html`<button type="button" onClick=${() => load(docs.next)}>Load more documents</button>` : null}
      </div>
    </div>
  </section>`;
}

/** Document requests: staff ask for a file, the client answers by uploading it, staff accept or reject. */
function Requests({ clientId, onUploaded }) {
  const { me } = useApp();
  const list = useApi(`/api/v1/clients/${encodeURIComponent(clientId)}/document-requests?limit=200`);
  const [error, setError] = useState(null);
  const [progress, setProgress] = useState({});
  const staff = isStaff(me);
  const run = async (fn) => { setError(null); try { await fn(); list.reload(); } catch (e) { setError(e); } };
  const create = (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const body = { title: f.get('title'), description: f.get('description') || undefined };
    if (f.get('due')) body.due_at = new Date(f.get('due') + 'T23:59:59').toISOString();
    const form = ev.target;
    run(async () => { await api('POST', `/api/v1/clients/${clientId}/document-requests`, body); form.reset(); });
  };
  const fulfil = (r, ev) => {
    const file = ev.target.files[0];
    ev.target.value = '';
    if (!file) return;
    setProgress((p) => ({ ...p, [r.id]: { size: file.size, loaded: 0, name: file.name } }));
    uploadFile(file, { clientId, folderId: r.folder_id, requestId: r.id }, (loaded) => setProgress((p) => ({ ...p, [r.id]: { ...p[r.id], loaded } })))
      .then(() => { setProgress((p) => ({ ...p, [r.id]: null })); list.reload(); onUploaded(); })
      .catch((e) => { setProgress((p) => ({ ...p, [r.id]: null })); setError(e); });
  };
  const reject = (r) => { const reason = prompt('Why is this file not right?'); if (reason !== null) run(() => api('POST', `/api/v1/document-requests/${r.id}/reject`, { reason })); };
  if (list.notFound) return null;
  const items = (list.data && list.data.items) || [];
  if (!staff && items.length === 0) return null;
  return html`<section aria-labelledby="req-h" class="panel">
    <h3 id="req-h">Requested documents</h3>
    <${ErrorLine} error=${list.error || error} />
    <ul class="list" aria-label="Requested documents">${items.map((r) => html`<li>
      <strong dir="auto">${r.title}</strong> <span class=${'tag status-' + r.status}>${r.status}</span>
      ${r.due_at ? html` <span class="muted">due ${formatDate(r.due_at)}</span>` : null}
      ${r.description ? html`<p dir="auto" class="muted">${r.description}</p>` : null}
      ${r.reason && r.status === 'open' ? html`<p dir="auto">Sent back: ${r.reason}</p>` : null}
      ${r.document_id ? html` <a href=${link('documents', r.document_id)}>the file</a>` : null}
      ${r.status === 'open' && !staff ? html` <label class="button">Upload for ${r.title}<input type="file" class="visually-hidden" onChange=${(e) => fulfil(r, e)} /></label>` : null}
      ${progress[r.id] ? html`<progress max=${progress[r.id].size || 1} value=${progress[r.id].loaded} aria-label=${'Upload of ' + progress[r.id].name}></progress>` : null}
      ${r.status === 'submitted' && staff ? html` <button type="button" onClick=${() => run(() => api('POST', `/api/v1/document-requests/${r.id}/accept`))} aria-label=${'Accept ' + r.title}>Accept</button>
        <button type="button" onClick=${() => reject(r)} aria-label=${'Reject ' + r.title}>Reject</button>` : null}
    </li>`)}</ul>
    ${staff ? html`<form class="inline" onSubmit=${create} aria-label="Request a document">
      <label>Document to request <input name="title" required dir="auto" /></label>
      <label>Details <input name="description" dir="auto" /></label>
      <label>Due <input type="date" name="due" /></label>
      <button type="submit">Request</button></form>` : null}
  </section>`;
}

/**
 * The PNG thumbnail of GET /documents/{id}/preview, fetched once and shown
 * from a blob: URL (CSP img-src allows blob:). A 404 with Retry-After means it
 * is being made: ask again after that many seconds; a 404 without it means
 * there is none (another type, or unrenderable): no image, no message.
 */
function Preview({ id, version, name }) {
  const [state, setState] = useState({ url: null, pending: false });
  useEffect(() => {
    let alive = true, timer = null, url = null, tries = 0;
    const load = async () => {
      let r;
      try { r = await fetch(`/api/v1/documents/${encodeURIComponent(id)}/preview`, { credentials: 'same-origin' }); }
      catch { if (alive) setState({ url: null, pending: false }); return; }
      if (!alive) return;
      if (r.ok) {
        url = URL.createObjectURL(await r.blob());
        if (alive) setState({ url, pending: false }); else URL.revokeObjectURL(url);
        return;
      }
      const after = Number(r.headers.get('Retry-After'));
      if (r.status === 404 && r.headers.has('Retry-After') && tries++ < 60) {
        setState({ url: null, pending: true });
        timer = setTimeout(load, Math.min(Math.max(Number.isFinite(after) ? after : 1, 1), 10) * 1000);
      } else setState({ url: null, pending: false });
    };
    setState({ url: null, pending: false });
    load();
    return () => { alive = false; clearTimeout(timer); if (url) URL.revokeObjectURL(url); };
  }, [id, version]);
  if (state.pending) return html`<p class="muted preview-pending" role="status">The preview is being made…</p>`;
  if (!state.url) return null;
  return html`<img class="preview" src=${state.url} alt=${'Preview of ' + name} />`;
}

/** Signers to choose from: the client's members and the firm's owners and admins (who see every client). */
function useSignerChoices(clientId) {
  const [people, setPeople] = useState(null);
  useEffect(() => {
    let alive = true;
    (async () => {
      const members = await apiAll(`/api/v1/clients/${encodeURIComponent(clientId)}/members`, 400).catch(() => []);
      const staff = await apiAll('/api/v1/staff', 400).catch(() => []);
      const out = new Map();
      for (const m of members) out.set(m.user_id, { id: m.user_id, name: m.name, email: m.email, kind: m.kind || 'client' });
      for (const u of staff) if (!out.has(u.id) && (u.role === 'owner' || u.role === 'admin')) out.set(u.id, { id: u.id, name: u.name, email: u.email, kind: 'staff' });
      if (alive) setPeople([...out.values()]);
    })();
    return () => { alive = false; };
  }, [clientId]);
  return people;
}

function SignatureRequestForm({ doc, onCreated }) {
  const people = useSignerChoices(doc.client_id);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const f = new FormData(form);
    setError(null);
    const body = { signer_ids: f.getAll('signer'), kind: f.get('kind'), ordered: f.get('ordered') === 'on' };
    if (f.get('message')) body.message = f.get('message');
    if (f.get('due')) body.due_at = new Date(f.get('due') + 'T23:59:59').toISOString();
    setBusy(true);
    try { await api('POST', `/api/v1/documents/${encodeURIComponent(doc.id)}/signature-requests`, body); form.reset(); onCreated(); }
    catch (e) { setError(e); }
    setBusy(false);
  };
  if (!people) return html`<p role="status">Loading…</p>`;
  const group = (kind, legend) => {
    const list = people.filter((p) => (kind === 'staff' ? p.kind === 'staff' : p.kind !== 'staff'));
    return list.length ? html`<fieldset><legend>${legend}</legend>${list.map((p) => html`<label class="check">
      <input type="checkbox" name="signer" value=${p.id} /> <span dir="auto">${p.name}</span> <span class="muted">${p.email || ''}</span></label>`)}</fieldset>` : null;
  };
  return html`<form class="stack" onSubmit=${submit} aria-label="Ask for a signature or approval">
    ${group('client', 'Client users')}
    ${group('staff', 'Staff')}
    <label>Kind <select name="kind"><option value="signature">signature</option><option value="approval">approval</option></select></label>
    <label class="check"><input type="checkbox" name="ordered" /> Signers act in the order listed</label>
    <label>Message to the signers <textarea name="message" dir="auto"></textarea></label>
    <label>Due date <input type="date" name="due" /></label>
    <button type="submit" disabled=${busy}>Send request</button>
    <${ErrorLine} error=${error} /></form>`;
}

const SIGNER_STATUS = { pending: 'waiting', signed: 'signed', declined: 'declined' };

/** One signature request: its status, each signer's, and the caller's sign/decline forms. */
function SignatureRequestCard({ r, onChange, showDocument }) {
  const { me } = useApp();
  const [error, setError] = useState(null);
  const enc = encodeURIComponent(r.id);
  const signers = r.signers || [];
  const mine = signers.find((s) => s.user_id === me.user.id);
  const verb = r.kind === 'approval' ? 'Approve' : 'Sign';
  const what = r.kind === 'approval' ? 'approval' : 'signature';
  const act = async (path, body, form) => {
    setError(null);
    try { const next = await api('POST', `/api/v1/signature-requests/${enc}/${path}`, body); if (form) form.reset(); onChange(next); }
    catch (e) { setError(e); }
  };
  const sign = (ev) => { ev.preventDefault(); const f = new FormData(ev.target); act('sign', { typed_name: f.get('typed_name'), consent: f.get('consent') === 'on' }, ev.target); };
  const decline = (ev) => { ev.preventDefault(); act('decline', { reason: new FormData(ev.target).get('reason') }, ev.target); };
  const canAct = r.status === 'pending' && mine && mine.status === 'pending';
  const label = `${r.kind === 'approval' ? 'Approval' : 'Signature'} request of ${formatTime(r.created_at)}`;
  return html`<article class="panel sigreq" aria-label=${label}>
    <p><strong>${r.kind === 'approval' ? 'Approval' : 'Signature'} request</strong>
      <span class=${'tag status-' + r.status}><span class="visually-hidden">status: </span>${r.status}</span>
      <span class="muted"> · version ${r.document_version} · ${formatTime(r.created_at)}${r.due_at ? ' · due ' + formatDate(r.due_at) : ''}</span></p>
    ${showDocument && r.document_id ? html`<p><a href=${link('documents', r.document_id)} dir="auto">${r.document_name || 'Open the document'}</a></p>` : null}
    ${r.message ? html`<p dir="auto" class="quote">${r.message}</p>` : null}
    ${r.status === 'voided' ? html`<p class="muted">Voided${r.void_reason ? ': ' + r.void_reason : ''}.</p>` : null}
    <ul class="signers" aria-label="Signers">${signers.map((s) => html`<li>
      <span dir="auto">${s.name || s.user_id}</span>: <strong>${SIGNER_STATUS[s.status] || s.status}</strong>
      ${s.turn && r.status === 'pending' ? html` <span class="tag">their turn</span>` : null}
      ${s.typed_name ? html` <span class="muted">as “<span dir="auto">${s.typed_name}</span>”</span>` : null}
      ${s.acted_at ? html` <span class="muted">at ${formatTime(s.acted_at)}</span>` : null}
      ${s.reason ? html` <span class="muted">— <span dir="auto">${s.reason}</span></span>` : null}</li>`)}</ul>
    <${ErrorLine} error=${error} />
    ${canAct && mine.turn === false ? html`<p class="muted">Waiting for earlier signers before you can ${verb.toLowerCase()}.</p>` : null}
    ${canAct && mine.turn !== false ? html`
      <form class="stack" onSubmit=${sign} aria-label=${verb + ' the document'}>
        <label>Type your full name <input name="typed_name" required maxlength="200" dir="auto" autocomplete="name" /></label>
        <label class="check"><input type="checkbox" name="consent" required /> I agree that typing my name is my electronic ${what} of version ${r.document_version} of this document</label>
        <button type="submit">${verb}</button>
      </form>` : null}
    ${canAct ? html`<form class="inline" onSubmit=${decline} aria-label="Decline the request">
        <label>Reason for declining <input name="reason" required dir="auto" /></label><button type="submit">Decline</button></form>` : null}
    ${r.status === 'pending' && r.created_by === me.user.id ? html`<p><button type="button" onClick=${() => act('remind')}>Remind the signers</button></p>` : null}
    ${r.status !== 'pending' ? html`<p class="actions">Evidence certificate:
      <a href=${`/api/v1/signature-requests/${enc}/certificate`} target="_blank" rel="noopener">JSON</a>
      <a href=${`/api/v1/signature-requests/${enc}/certificate?format=pdf`} download>PDF</a></p>` : null}
    <p class="muted">Document SHA-256: <code class="hash">${r.document_sha256}</code></p>
  </article>`;
}

/** The document's signature requests, newest first, and (staff) the form to ask for one. */
function SignatureRequests({ doc }) {
  const { me } = useApp();
  const list = useApi(`/api/v1/documents/${encodeURIComponent(doc.id)}/signature-requests?limit=50`);
  const items = (list.data && list.data.items) || [];
  const replace = (next) => list.setData((d) => ({ ...d, items: ((d && d.items) || []).map((x) => (x.id === next.id ? next : x)) }));
  return html`<section aria-labelledby="sig-h">
    <h2 id="sig-h">Signatures and approvals</h2>
    <${ErrorLine} error=${list.error} />
    ${items.length === 0 && !list.loading ? html`<p class="muted">No signature requests.</p>` : null}
    ${items.map((r) => html`<${SignatureRequestCard} key=${r.id} r=${r} onChange=${replace} />`)}
    ${isStaff(me) && !doc.deleted_at ? html`<details><summary>Ask for a signature or approval</summary><${SignatureRequestForm} doc=${doc} onCreated=${list.reload} /></details>` : null}
  </section>`;
}

export function DocumentView({ id }) {
  const { me } = useApp();
  const enc = encodeURIComponent(id);
  const doc = useApi(`/api/v1/documents/${enc}`);
  const versions = useApi(`/api/v1/documents/${enc}/versions`);
  const activity = useApi(`/api/v1/documents/${enc}/activity?limit=50`);
  const [error, setError] = useState(null);
  const [uploading, setUploading] = useState(null);
  if (doc.notFound) return html`<section><h1>Not found</h1><p>This document does not exist or is not yours to see.</p></section>`;
  const d = doc.data;
  if (!d) return html`<section><p role="status">Loading…</p><${ErrorLine} error=${doc.error} /></section>`;
  const reloadAll = () => { doc.reload(); versions.reload(); activity.reload(); };
  const run = async (fn) => { setError(null); try { await fn(); reloadAll(); } catch (e) { setError(e); } };
  const newVersion = (ev) => {
    const file = ev.target.files[0];
    ev.target.value = '';
    if (!file) return;
    setUploading({ name: file.name, size: file.size, loaded: 0 });
    uploadFile(file, { documentId: id }, (loaded) => setUploading({ name: file.name, size: file.size, loaded }))
      .then(() => { setUploading(null); reloadAll(); })
      .catch((e) => { setUploading(null); setError(e); });
  };
  const rename = (ev) => { ev.preventDefault(); const name = new FormData(ev.target).get('name'); run(() => api('PATCH', `/api/v1/documents/${enc}`, { name })); };
  const del = () => run(async () => { await api('DELETE', `/api/v1/documents/${enc}`); });
  const restore = () => run(() => api('POST', `/api/v1/documents/${enc}/restore`));
  const purge = async () => {
    setError(null);
    try { await api('POST', `/api/v1/documents/${enc}/purge`); location.hash = link('clients', d.client_id, 'documents'); }
    catch (e) { setError(e); }
  };
  const restoreVersion = (n) => run(() => api('POST', `/api/v1/documents/${enc}/versions/${n}/restore`));
  const viewer = me.clients && (me.clients.find((c) => c.id === d.client_id) || {}).role === 'viewer';
  return html`<section>
    <p class="crumbs"><a href=${link('clients', d.client_id, 'documents')}>Documents</a></p>
    <h1 dir="auto">${d.name}</h1>
    ${d.deleted_at ? html`<p class="warning" role="status">Deleted ${formatTime(d.deleted_at)}. ${isStaff(me) ? html`<button type="button" onClick=${restore}>Restore document</button>
      <button type="button" class="danger" onClick=${purge}>Delete for good</button>` : null}</p>` : null}
    <${ErrorLine} error=${error} />
    <div class="split">
      <div class="grow">
        <dl class="meta">
          <dt>Size</dt><dd>${formatBytes(d.size)} (${Number(d.size).toLocaleString()} bytes)</dd>
          <dt>Version</dt><dd>${d.version}</dd>
          <dt>Type</dt><dd>${d.content_type}</dd>
          <dt>SHA-256</dt><dd><code class="hash">${d.sha256}</code></dd>
          <dt>Uploaded</dt><dd>${formatTime(d.created_at)}</dd>
        </dl>
        <p class="actions">
          <a class="button" href=${`/api/v1/documents/${enc}/content`} download aria-label=${'Download ' + d.name}>Download</a>
          ${viewer ? null : html`<label class="button">Upload a new version<input type="file" class="visually-hidden" onChange=${newVersion} /></label>`}
          <a href=${link('clients', d.client_id, 'messages') + '?about=document:' + encodeURIComponent(d.id)}>Discuss this document</a>
        </p>
        ${uploading ? html`<p><progress max=${uploading.size || 1} value=${uploading.loaded} aria-label=${'Upload of ' + uploading.name}></progress></p>` : null}
        <${Preview} id=${id} version=${d.version} name=${d.name} />
        <h2>Versions</h2>
        <div class="scroll"><table aria-label="Versions">
          <thead><tr><th class="num">Version</th><th class="num">Size</th><th>Uploaded</th><th></th></tr></thead>
          <tbody>${((versions.data && versions.data.items) || []).map((v) => html`<tr>
            <td class="num">${v.version}</td><td class="num">${formatBytes(v.size)}</td><td>${formatTime(v.created_at)}</td>
            <td><a href=${`/api/v1/documents/${enc}/content?version=${v.version}`} download aria-label=${'Download version ' + v.version}>Download</a>
              ${!viewer && v.version !== d.version ? html` <button type="button" onClick=${() => restoreVersion(v.version)} aria-label=${'Restore version ' + v.version}>Restore</button>` : null}</td>
          </tr>`)}</tbody></table></div>
        ${isStaff(me) && !d.deleted_at ? html`<details><summary>Rename or delete</summary>
          <form class="inline" onSubmit=${rename} aria-label="Rename document">
            <label>New name <input name="name" value=${d.name} required dir="auto" /></label><button type="submit">Rename</button></form>
          <p><button type="button" class="danger" onClick=${del}>Delete document</button></p></details>` : null}
        <${SignatureRequests} doc=${d} />
      </div>
      <aside>
        <h2>Activity</h2>
        <ul class="activity" aria-label="Activity">${((activity.data && activity.data.items) || []).map((a) => html`<li>
          <span dir="auto">${(a.actor && a.actor.name) || 'Someone'}</span> ${a.action}${a.version ? ' v' + a.version : ''}
          <span class="muted"> at ${formatTime(a.at)}</span></li>`)}</ul>
      </aside>
    </div>
  </section>`;
}

/** A signature request's own page (#/signatures/{id}): the same card, with a link to its document. */
export function SignatureView({ id }) {
  const req = useApi(`/api/v1/signature-requests/${encodeURIComponent(id)}`);
  if (req.notFound) return html`<section><h1>Signature request</h1><p>This request does not exist or is not yours to see.</p></section>`;
  const r = req.data;
  if (!r) return html`<section><p role="status">Loading…</p><${ErrorLine} error=${req.error} /></section>`;
  return html`<section class="narrow">
    <h1>${r.kind === 'approval' ? 'Approval' : 'Signature'} request</h1>
    <${SignatureRequestCard} r=${r} onChange=${(next) => req.setData(next)} showDocument=${true} />
  </section>`;
}
