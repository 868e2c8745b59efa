// Messages of a client: threads with unread counts, a thread's messages,
// and new messages appearing live (message.created over the WebSocket).
import { useState, useEffect, useRef } from 'preact/hooks';
import { html, api, apiAll, useApp, useRoute, link, navigate, formatTime, ErrorLine, useLiveEvents } from '../lib.js';

export function MessagesTab({ clientId, threadId }) {
  return threadId ? html`<${Thread} clientId=${clientId} threadId=${threadId} />` : html`<${Threads} clientId=${clientId} />`;
}

function Threads({ clientId }) {
  const route = useRoute();
  const [threads, setThreads] = useState(null);
  const [error, setError] = useState(null);
  const aboutParam = route.query.get('about');
  const about = aboutParam && aboutParam.includes(':') ? { type: aboutParam.split(':')[0], id: aboutParam.split(':')[1] } : null;
  const load = async () => {
    try { setThreads(await apiAll(`/api/v1/clients/${encodeURIComponent(clientId)}/threads`, 500)); }
    catch (e) { setError(e); setThreads([]); }
  };
  useEffect(() => { load(); }, [clientId]);
  useLiveEvents((ev) => { if (ev.type === 'message.created' && ev.client_id === clientId) load(); }, [clientId]);
  const create = async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    setError(null);
    const body = { subject: f.get('subject'), body: f.get('body') };
    if (about) body.about = about;
    try { const t = await api('POST', `/api/v1/clients/${clientId}/threads`, body); navigate(link('clients', clientId, 'messages', t.id)); }
    catch (e) { setError(e); }
  };
  return html`<section aria-labelledby="thr-h">
    <h2 id="thr-h">Messages</h2>
    <${ErrorLine} error=${error} />
    ${threads === null ? html`<p role="status">Loading…</p>` : threads.length === 0 ? html`<p class="muted">No conversations yet.</p>` : html`
    <ul class="list threads" aria-label="Threads">${threads.map((t) => html`<li>
      <a href=${link('clients', clientId, 'messages', t.id)} dir="auto">${t.subject}</a>
      ${t.about ? html` <span class="tag">${t.about.type}</span>` : null}
      ${t.unread_count > 0 ? html` <span class="badge">${t.unread_count} unread</span>` : null}
      <span class="muted"> ${t.message_count} message${t.message_count === 1 ? '' : 's'} · ${formatTime(t.last_message_at || t.created_at)}</span>
    </li>`)}</ul>`}
    <form class="stack" onSubmit=${create} aria-label="New conversation">
      <h3>New conversation${about ? ` about this ${about.type}` : ''}</h3>
      <label>Subject <input name="subject" required maxlength="300" dir="auto" /></label>
      <label>First message <textarea name="body" required dir="auto"></textarea></label>
      <button type="submit">Start conversation</button>
    </form>
  </section>`;
}

function Thread({ clientId, threadId }) {
  const { me } = useApp();
  const [thread, setThread] = useState(null);
  const [messages, setMessages] = useState(null);
  const [error, setError] = useState(null);
  const [text, setText] = useState('');
  const endRef = useRef(null);
  const enc = encodeURIComponent(threadId);
  const markRead = (upTo) => api('POST', `/api/v1/threads/${enc}/read`, upTo ? { up_to: upTo } : {}).catch(() => {});
  useEffect(() => {
    setMessages(null);
    api('GET', `/api/v1/threads/${enc}`).then(setThread).catch(setError);
    apiAll(`/api/v1/threads/${enc}/messages`, 2000).then((ms) => { setMessages(ms); if (ms.length) markRead(ms[ms.length - 1].id); }).catch((e) => { setError(e); setMessages([]); });
  }, [threadId]);
  useLiveEvents((ev) => {
    if (ev.type !== 'message.created' || !ev.data || ev.data.thread_id !== threadId) return;
    setMessages((ms) => (ms && !ms.some((m) => m.id === ev.data.id) ? [...ms, ev.data] : ms));
    markRead(ev.data.id);
  }, [threadId]);
  useEffect(() => { if (endRef.current && endRef.current.scrollIntoView) endRef.current.scrollIntoView({ block: 'nearest' }); }, [messages && messages.length]);
  const send = async (ev) => {
    ev.preventDefault();
    if (!text.trim()) return;
    setError(null);
    try {
      const m = await api('POST', `/api/v1/threads/${enc}/messages`, { body: text });
      setMessages((ms) => (ms.some((x) => x.id === m.id) ? ms : [...ms, m]));
      setText('');
    } catch (e) { setError(e); }
  };
  const keydown = (ev) => { if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) send(ev); };
  return html`<section aria-labelledby="thread-h">
    <p class="crumbs"><a href=${link('clients', clientId, 'messages')}>All conversations</a></p>
    <h2 id="thread-h" dir="auto">${thread ? thread.subject : '…'}</h2>
    ${thread && thread.about ? html`<p>About ${thread.about.type === 'document' ? html`<a href=${link('documents', thread.about.id)}>a document</a>` : 'a task'}</p>` : null}
    <${ErrorLine} error=${error} />
    ${messages === null ? html`<p role="status">Loading…</p>` : html`
    <ol class="messages" aria-label="Messages" aria-live="polite">${messages.map((m) => html`<li class=${m.author && m.author.id === me.user.id ? 'mine' : ''}>
      <p class="by"><span dir="auto">${(m.author && m.author.name) || 'Someone'}</span> <span class="muted">${formatTime(m.created_at)}${m.edited_at ? ' (edited)' : ''}</span></p>
      <p class="body" dir="auto">${m.body}</p></li>`)}</ol>`}
    <div ref=${endRef}></div>
    <form class="stack composer" onSubmit=${send} aria-label="Reply">
      <label>Message <textarea name="body" required dir="auto" value=${text} onInput=${(e) => setText(e.target.value)} onKeyDown=${keydown}></textarea></label>
      <button type="submit">Send</button>
    </form>
  </section>`;
}
