// The portal's entry point: loads branding and the signed-in user, then
// shows the public screens (sign-in, password reset, invitation) or the shell
// with the screen the hash route names. Screens live in js/screens/.
import { render } from 'preact';
import { useState, useEffect, useCallback } from 'preact/hooks';
import { html, api, session, AppContext, DEFAULT_BRANDING, useRoute, setLive, setUnauthenticatedHandler, term, link } from './lib.js';
import { SignIn, ForgotPassword, ResetPassword, AcceptInvite, MfaSetup } from './screens/auth.js';
import { Dashboard } from './screens/dashboard.js';
import { ClientList, ClientView } from './screens/clients.js';
import { DocumentView, SignatureView } from './screens/documents.js';
import { Account } from './screens/account.js';
import { Admin } from './screens/admin.js';
import { Search } from './screens/search.js';

const HEX = /^#[0-9a-fA-F]{6}$/;

function applyBranding(b) {
  document.title = b.portal_name || 'Atrium';
  // CSSOM, not a style attribute: allowed by style-src 'self'
  if (HEX.test(b.primary_color || '')) document.documentElement.style.setProperty('--brand', b.primary_color);
}

function Header({ me, branding, onSignOut }) {
  const route = useRoute();
  const staffAdmin = me.user.kind === 'staff' && (me.user.role === 'owner' || me.user.role === 'admin');
  const here = route.parts[0] || '';
  const cur = (name) => (here === name ? 'page' : undefined);
  const [q, setQ] = useState(route.parts[0] === 'search' ? route.query.get('q') || '' : '');
  const search = (ev) => { ev.preventDefault(); if (q.trim()) location.hash = '#/search?q=' + encodeURIComponent(q.trim()); };
  return html`
    <header class="top">
      <a class="brand" href="#/">
        ${branding.logo_url ? html`<img src=${branding.logo_url} alt="" class="logo" />` : null}
        <span dir="auto">${branding.portal_name || 'Atrium'}</span>
      </a>
      <nav aria-label="Main">
        <a href="#/" aria-current=${cur('')}>Dashboard</a>
        <a href=${link('clients')} aria-current=${cur('clients')}>${term(branding, 'Client', true)}</a>
        <a href=${link('account')} aria-current=${cur('account')}>Account</a>
        ${staffAdmin ? html`<a href=${link('admin')} aria-current=${cur('admin')}>Admin</a>` : null}
      </nav>
      <form class="search" role="search" onSubmit=${search}>
        <input type="search" aria-label="Search" placeholder="Search" value=${q} onInput=${(e) => setQ(e.target.value)} />
      </form>
      <span class="who" dir="auto">${me.user.name}</span>
      <button type="button" onClick=${onSignOut}>Sign out</button>
    </header>`;
}

function Routed({ me }) {
  const route = useRoute();
  const [a, b, c, d] = route.parts;
  switch (a) {
    case undefined: return html`<${Dashboard} />`;
    case 'clients': return b ? html`<${ClientView} clientId=${b} tab=${c || 'documents'} sub=${d} />` : html`<${ClientList} />`;
    case 'documents': return html`<${DocumentView} id=${b} />`;
    case 'signatures': return html`<${SignatureView} id=${b} />`;
    case 'account': return html`<${Account} />`;
    case 'admin': return html`<${Admin} section=${b || 'staff'} />`;
    case 'search': return html`<${Search} q=${route.query.get('q') || ''} />`;
    default: return html`<section><h1>Not found</h1><p>There is nothing at this address. <a href="#/">Go to the dashboard</a>.</p></section>`;
  }
}

function App() {
  const [me, setMe] = useState(undefined); // undefined: loading; null: signed out
  const [branding, setBranding] = useState(DEFAULT_BRANDING);
  const route = useRoute();

  const refreshMe = useCallback(async () => {
    try {
      const m = await api('GET', '/api/v1/me');
      session.csrf = m.csrf_token || null;
      setMe(m);
      setLive(!m.mfa_enrolment_required);
    } catch (e) {
      session.csrf = null;
      setMe(null);
      setLive(false);
    }
  }, []);

  const adoptBranding = useCallback((b) => {
    const merged = { ...DEFAULT_BRANDING, ...b, labels: { ...(b && b.labels) }, loaded: true };
    setBranding(merged);
    applyBranding(merged);
  }, []);

  // GET /branding: the caller's firm with a session; before sign-in the
  // firm named by ?firm= in the portal's address, else the server's default
  const signedInAs = me ? me.user.id : null;
  // (a session that may only enrol in MFA is refused it: ask without the
  // cookie, naming the user's firm)
  useEffect(() => {
    if (me === undefined) return;
    const firm = me ? me.user.firm_id : new URLSearchParams(location.search).get('firm');
    const ask = me && !me.mfa_enrolment_required
      ? api('GET', '/api/v1/branding')
      : fetch('/api/v1/branding' + (firm ? '?firm=' + encodeURIComponent(firm) : ''), { credentials: 'omit', headers: { Accept: 'application/json' } })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error('branding ' + r.status))));
    ask.then(adoptBranding).catch(() => adoptBranding(DEFAULT_BRANDING)); // unreachable: the defaults
  }, [signedInAs, me === undefined, !!(me && me.mfa_enrolment_required)]);

  useEffect(() => {
    setUnauthenticatedHandler(() => { session.csrf = null; setMe(null); setLive(false); });
    if (!location.pathname.startsWith('/reset/') && !location.pathname.startsWith('/invite/')) refreshMe();
    else setMe(null);
  }, []);

  const signedIn = () => {
    if (location.pathname !== '/') history.replaceState(null, '', '/' + location.hash);
    refreshMe();
  };
  const signOut = async () => {
    try { await api('POST', '/api/v1/auth/logout'); } catch { /* gone already */ }
    session.csrf = null;
    setLive(false);
    setMe(null);
    location.hash = '#/';
  };

  let body;
  if (location.pathname.startsWith('/reset/')) {
    body = html`<${ResetPassword} token=${location.pathname.slice('/reset/'.length)} onDone=${() => { history.replaceState(null, '', '/'); setMe(null); location.hash = '#/'; }} />`;
  } else if (location.pathname.startsWith('/invite/')) {
    body = html`<${AcceptInvite} token=${location.pathname.slice('/invite/'.length)} onDone=${signedIn} />`;
  } else if (me === undefined) {
    body = html`<p class="boot" role="status">Loading…</p>`;
  } else if (me === null) {
    body = route.parts[0] === 'forgot' ? html`<${ForgotPassword} />` : html`<${SignIn} onSignedIn=${signedIn} />`;
  } else if (me.mfa_enrolment_required) {
    body = html`<section class="narrow"><h1>Turn on two-factor authentication</h1>
      <p>Your firm requires two-factor authentication for staff. Set it up to continue.</p>
      <${MfaSetup} onDone=${refreshMe} /><p><button type="button" onClick=${signOut}>Sign out</button></p></section>`;
  } else {
    return html`<${AppContext.Provider} value=${{ me, branding, refreshMe, setBranding: adoptBranding }}>
      <${Header} me=${me} branding=${branding} onSignOut=${signOut} />
      <main id="main"><${Routed} me=${me} /></main>
    </${AppContext.Provider}>`;
  }
  return html`<${AppContext.Provider} value=${{ me, branding, refreshMe, setBranding: adoptBranding }}>
    <header class="top"><span class="brand">
      ${branding.logo_url ? html`<img src=${branding.logo_url} alt="" class="logo" />` : null}
      <span dir="auto">${branding.portal_name || 'Atrium'}</span></span></header>
    <main id="main">${body}</main>
  </${AppContext.Provider}>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the boot message
render(html`<${App} />`, root);
