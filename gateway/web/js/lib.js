// Shared pieces of the portal: the htm template tag bound to Preact, the
// API client (public API of api.md only: CSRF header, error envelope), a
// data-loading hook, the hash router, live events and formatting helpers.
// User text is only ever passed as text children or attribute values; nothing
// here or in the screens sets innerHTML.
import { h, createContext } from 'preact';
import { useState, useEffect, useCallback, useContext, useRef } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

// ---- the API --------------------------------------------------------------

/** An API error: status, code, message and field from the error envelope. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `The server answered ${status}`);
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.field = e.field || null;
  }
}

export const session = { csrf: null };

/** Calls the API; resolves to the parsed JSON (null for 204), rejects with an ApiError. */
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (session.csrf && method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = session.csrf;
  let r;
  try {
    r = await fetch(path, { method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { error: { code: 'network', message: 'The server cannot be reached' } });
  }
  const json = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) {
    if (r.status === 401 && onUnauthenticated && !path.startsWith('/api/v1/auth/')) onUnauthenticated();
    throw new ApiError(r.status, json);
  }
  return json;
}
let onUnauthenticated = null;
export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

/** Builds a query string from an object, skipping empty values. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}

/**
 * Loads path with GET while mounted and whenever path changes.
 * Returns {data, error, loading, notFound, reload, setData}. notFound is true
 * on a 404, so screens whose endpoint is not there yet degrade quietly.
 */
export function useApi(path) {
  const [state, setState] = useState({ data: null, error: null, loading: !!path, notFound: false });
  const seq = useRef(0);
  const load = useCallback(async () => {
    if (!path) return;
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await api('GET', path);
      if (mine === seq.current) setState({ data, error: null, loading: false, notFound: false });
    } catch (e) {
      if (mine === seq.current) setState({ data: null, error: e.status === 404 ? null : e, loading: false, notFound: e.status === 404 });
    }
  }, [path]);
  useEffect(() => { load(); }, [load]);
  const setData = useCallback((fn) => setState((s) => ({ ...s, data: typeof fn === 'function' ? fn(s.data) : fn })), []);
  return { ...state, reload: load, setData };
}

/** Every page of a list endpoint (api.md's {items, next_cursor}), up to max items. */
export async function apiAll(path, max = 1000) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', path + sep + 'limit=200' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...((page && page.items) || []));
    cursor = page && page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

// ---- the signed-in user and branding ----------------------------------------

export const AppContext = createContext({ me: null, branding: null });
export function useApp() { return useContext(AppContext); }

export const DEFAULT_BRANDING = { portal_name: 'Atrium', primary_color: '#2f5d8a', logo_url: null, labels: {}, dashboard_sections: null };

/** A term as the firm renamed it in branding.labels ("Client" → "Matter"); plural when asked. */
export function term(branding, word, plural = false) {
  const labels = (branding && branding.labels) || {};
  const key = plural ? word + 's' : word;
  const find = (k) => labels[k] || labels[k.toLowerCase()] || labels[k[0].toUpperCase() + k.slice(1)];
  let v = find(key);
  if (!v && plural) { const one = find(word); if (one) v = one + 's'; }
  if (!v) v = key;
  // keep the case of the word asked for
  return word[0] === word[0].toLowerCase() ? v.toLowerCase() : v[0].toUpperCase() + v.slice(1);
}
export function useTerm() {
  const { branding } = useApp();
  return (word, plural) => term(branding, word, plural);
}

// ---- the router: #/path?query ---------------------------------------------

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [p, q] = raw.split('?');
  return { path: p, parts: p.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q || '') };
}
/** The current hash route {path, parts, query}; re-renders on navigation. */
export function useRoute() {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const on = () => setRoute(parseHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
export function navigate(hash) { location.hash = hash; }
export function link(...parts) { return '#/' + parts.map((p) => encodeURIComponent(p)).join('/'); }

// ---- live events over the WebSocket (GET /api/v1/events) -------------------

const listeners = new Set();
let socket = null, retry = 0, wanted = false, retryTimer = null;
export const liveState = { connected: false };

function connect() {
  if (!wanted) return;
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/events');
  socket = ws;
  ws.onopen = () => { retry = 0; liveState.connected = true; document.documentElement.dataset.live = 'on'; };
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    for (const fn of listeners) { try { fn(msg); } catch (e) { console.error(e); } }
  };
  ws.onclose = () => {
    liveState.connected = false;
    document.documentElement.dataset.live = 'off';
    if (socket === ws) socket = null;
    if (wanted) retryTimer = setTimeout(connect, Math.min(30000, 500 * 2 ** retry++));
  };
}
/** Opens (or, with false, closes) the live event socket for the signed-in user. */
export function setLive(on) {
  wanted = on;
  clearTimeout(retryTimer);
  if (on && !socket) connect();
  if (!on && socket) { const s = socket; socket = null; s.close(); }
}
/** Calls fn(event) for every live event while the component is mounted. */
export function useLiveEvents(fn, deps) {
  useEffect(() => { listeners.add(fn); return () => listeners.delete(fn); }, deps);
}

// ---- formatting ---------------------------------------------------------------

export function formatBytes(n) {
  n = Number(n);
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return n + ' B';
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
  return n.toFixed(n < 10 ? 1 : 0) + ' ' + units[i];
}
export function formatTime(t) {
  if (!t) return '';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleString();
}
export function formatDate(t) {
  if (!t) return '';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleDateString();
}
export function formatMoney(amount, currency) {
  // amounts stay decimal strings (api.md): shown as given, with the currency code
  return amount == null ? '' : `${amount} ${currency || ''}`.trim();
}

/** A message line for an error caught from api(). */
export function errorText(e) {
  if (!e) return '';
  return e.field ? `${e.message} (${e.field})` : e.message;
}

/** role=alert paragraph for an error (empty when none). */
export function ErrorLine({ error }) {
  return html`<p class="error" role="alert">${error ? errorText(error) : ''}</p>`;
}

/** An audit event's details as an object (the API may give it as JSON text). */
export function detailsOf(ev) {
  const d = ev && ev.details;
  if (!d) return {};
  if (typeof d === 'object') return d;
  try { return JSON.parse(d) || {}; } catch { return {}; }
}
