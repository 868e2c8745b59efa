// Atrium's minimal sign-in page: speaks only the public API (api.md). User
// text is always inserted as text, never as HTML.
const $ = (id) => document.getElementById(id);
let csrf = null;

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  const r = await fetch(path, { method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body) });
  const json = r.status === 204 ? null : await r.json().catch(() => null);
  return { status: r.status, json };
}

// The firm's branding (public; the session's firm once logged in): its name
// as text in the header and title, its colour as a CSS variable.
async function showBranding() {
  const b = await api('GET', '/api/v1/branding');
  if (b.status !== 200 || !b.json) return;
  document.title = b.json.portal_name;
  document.querySelector('header h1').textContent = b.json.portal_name;
  if (/^#[0-9a-f]{6}$/i.test(b.json.primary_color))
    document.documentElement.style.setProperty('--brand', b.json.primary_color);
}

async function showHome() {
  showBranding();
  const me = await api('GET', '/api/v1/me');
  if (me.status !== 200) { $('login').hidden = false; $('home').hidden = true; $('logout').hidden = true; return; }
  csrf = me.json.csrf_token;
  $('login').hidden = true; $('home').hidden = false; $('logout').hidden = false;
  $('who').textContent = `${me.json.user.name} (${me.json.user.email})`;
  if (me.json.mfa_enrolment_required) {
    // this session reaches only the MFA enrolment routes (api.md settings/security)
    $('who').textContent += ' — your firm requires two-factor authentication: turn it on first.';
    $('clients').replaceChildren();
    return;
  }
  const list = await api('GET', '/api/v1/clients');
  const ul = $('clients');
  ul.replaceChildren();
  for (const c of (list.json && list.json.items) || []) {
    const li = document.createElement('li');
    li.textContent = c.name;
    li.dir = 'auto';
    ul.append(li);
  }
}

$('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const r = await api('POST', '/api/v1/auth/login', { email: f.get('email'), password: f.get('password') });
  $('login-error').textContent = r.status === 200 ? '' : (r.json && r.json.error ? r.json.error.message : 'Sign-in failed');
  if (r.status === 200) { csrf = r.json.csrf_token; showHome(); }
});

$('logout').addEventListener('click', async () => {
  await api('POST', '/api/v1/auth/logout');
  csrf = null;
  showHome();
});

$('forgot-link').addEventListener('click', (ev) => {
  ev.preventDefault();
  $('login').hidden = true; $('forgot').hidden = false;
});

$('forgot').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await api('POST', '/api/v1/auth/password-reset', { email: new FormData(ev.target).get('email') });
  $('forgot-status').textContent = r.status === 202
    ? 'If an account has this email, a link to reset its password is on its way.'
    : (r.json && r.json.error ? r.json.error.message : 'That did not work');
});

// /reset/<token>: the link of a password reset mail
const resetToken = location.pathname.startsWith('/reset/') ? location.pathname.slice(7) : null;

$('reset').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await api('POST', '/api/v1/auth/password-reset/confirm',
    { token: resetToken, new_password: new FormData(ev.target).get('new_password') });
  if (r.status === 204) {
    history.replaceState(null, '', '/');
    $('reset').hidden = true;
    $('login-error').textContent = 'Your password is set: sign in with it.';
    showHome();
  } else {
    $('reset-status').textContent = r.json && r.json.error ? r.json.error.message : 'That did not work';
  }
});

if (resetToken) $('reset').hidden = false; else showHome();
