// Public screens (sign-in with the MFA step, forgotten password, reset,
// invitation acceptance) and the MFA enrolment used by Account and by a
// session that must enrol before anything else.
import { useState, useEffect } from 'preact/hooks';
import { encode } from 'uqr';
import { html, api, session, ErrorLine, useApp } from '../lib.js';

export function SignIn({ onSignedIn }) {
  const [ticket, setTicket] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const { branding } = useApp();

  const login = async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    setBusy(true); setError(null);
    try {
      const r = await api('POST', '/api/v1/auth/login', { email: f.get('email'), password: f.get('password') });
      if (r.mfa_required) setTicket(r.mfa_ticket);
      else { session.csrf = r.csrf_token; onSignedIn(); }
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const mfa = async (ev) => {
    ev.preventDefault();
    const code = new FormData(ev.target).get('code').trim();
    setBusy(true); setError(null);
    try {
      const r = await api('POST', '/api/v1/auth/mfa', { mfa_ticket: ticket, code });
      session.csrf = r.csrf_token;
      onSignedIn();
    } catch (e) {
      // the ticket is spent whatever the outcome: back to the password
      setTicket(null); setError(e);
    } finally { setBusy(false); }
  };

  if (ticket) {
    return html`<section class="narrow">
      <h1>Two-factor authentication</h1>
      <form onSubmit=${mfa} aria-label="Two-factor authentication">
        <label>Authentication code
          <input name="code" autocomplete="one-time-code" inputmode="numeric" required autofocus />
        </label>
        <p class="hint">The 6-digit code from your authenticator app, or one of your recovery codes.</p>
        <button type="submit" disabled=${busy}>Verify</button>
        <${ErrorLine} error=${error} />
      </form></section>`;
  }
  return html`<section class="narrow">
    <h1>Sign in to <span dir="auto">${branding.portal_name || 'Atrium'}</span></h1>
    <form onSubmit=${login} aria-label="Sign in">
      <label>Email <input name="email" type="email" autocomplete="username" required /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
      <button type="submit" disabled=${busy}>Sign in</button>
      <${ErrorLine} error=${error} />
      <p><a href="#/forgot">Forgot your password?</a></p>
    </form></section>`;
}

export function ForgotPassword() {
  const [status, setStatus] = useState('');
  const [error, setError] = useState(null);
  const submit = async (ev) => {
    ev.preventDefault();
    setError(null);
    try {
      await api('POST', '/api/v1/auth/password-reset', { email: new FormData(ev.target).get('email') });
      setStatus('If an account has this email, a link to reset its password is on its way.');
    } catch (e) { setError(e); }
  };
  return html`<section class="narrow">
    <h1>Reset your password</h1>
    <form onSubmit=${submit} aria-label="Reset password">
      <label>Email <input name="email" type="email" autocomplete="username" required /></label>
      <button type="submit">Mail me a reset link</button>
      <p role="status">${status}</p>
      <${ErrorLine} error=${error} />
      <p><a href="#/">Back to sign-in</a></p>
    </form></section>`;
}

export function ResetPassword({ token, onDone }) {
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);
  const submit = async (ev) => {
    ev.preventDefault();
    setError(null);
    try {
      await api('POST', '/api/v1/auth/password-reset/confirm', { token, new_password: new FormData(ev.target).get('new_password') });
      setDone(true);
    } catch (e) { setError(e); }
  };
  if (done) {
    return html`<section class="narrow"><h1>Password set</h1><p role="status">Your password is set: sign in with it.</p>
      <button type="button" onClick=${onDone}>Go to sign-in</button></section>`;
  }
  return html`<section class="narrow">
    <h1>Choose a new password</h1>
    <form onSubmit=${submit} aria-label="Choose a new password">
      <label>New password (at least 12 characters)
        <input name="new_password" type="password" autocomplete="new-password" minlength="12" required /></label>
      <button type="submit">Set password</button>
      <${ErrorLine} error=${error} />
    </form></section>`;
}

export function AcceptInvite({ token, onDone }) {
  const [info, setInfo] = useState(null);
  const [error, setError] = useState(null);
  const [gone, setGone] = useState(false);
  useEffect(() => {
    api('GET', '/api/v1/invitations/' + encodeURIComponent(token))
      .then(setInfo)
      .catch((e) => (e.status === 410 || e.status === 404 ? setGone(true) : setError(e)));
  }, [token]);
  const submit = async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    setError(null);
    try {
      const r = await api('POST', '/api/v1/invitations/' + encodeURIComponent(token) + '/accept', { name: f.get('name'), password: f.get('password') });
      session.csrf = r.csrf_token;
      onDone();
    } catch (e) { if (e.status === 410) setGone(true); else setError(e); }
  };
  if (gone) return html`<section class="narrow"><h1>Invitation</h1><p role="alert">This invitation was used already or has expired. Ask for a new one.</p><p><a href="/">Sign in</a></p></section>`;
  if (!info) return html`<section class="narrow"><h1>Invitation</h1><p role="status">Loading…</p><${ErrorLine} error=${error} /></section>`;
  return html`<section class="narrow">
    <h1>Join <span dir="auto">${info.firm_name}</span></h1>
    ${info.client_name ? html`<p>You are invited to <strong dir="auto">${info.client_name}</strong>.</p>` : null}
    <form onSubmit=${submit} aria-label="Accept invitation">
      <label>Email <input value=${info.email} readonly /></label>
      <label>Your name <input name="name" autocomplete="name" required dir="auto" /></label>
      <label>Password (at least 12 characters)
        <input name="password" type="password" autocomplete="new-password" minlength="12" required /></label>
      <button type="submit">Accept invitation</button>
      <${ErrorLine} error=${error} />
    </form></section>`;
}

/** The QR code of text as an SVG drawn from uqr's module matrix. */
export function QrCode({ text, label }) {
  const { data } = encode(text, { border: 2 });
  let d = '';
  data.forEach((row, y) => row.forEach((on, x) => { if (on) d += `M${x} ${y}h1v1h-1z`; }));
  const n = data.length;
  return html`<svg class="qr" viewBox=${`0 0 ${n} ${n}`} role="img" aria-label=${label} shape-rendering="crispEdges">
    <rect width=${n} height=${n} fill="#fff" /><path d=${d} fill="#000" /></svg>`;
}

/** TOTP enrolment: QR code and secret, code confirmation, then the recovery codes. */
export function MfaSetup({ onDone }) {
  const [setup, setSetup] = useState(null);
  const [codes, setCodes] = useState(null);
  const [error, setError] = useState(null);
  const start = async () => {
    setError(null);
    try { setSetup(await api('POST', '/api/v1/me/mfa/totp')); } catch (e) { setError(e); }
  };
  const confirm = async (ev) => {
    ev.preventDefault();
    setError(null);
    try {
      const r = await api('POST', '/api/v1/me/mfa/totp/confirm', { code: new FormData(ev.target).get('code').trim() });
      setCodes(r.recovery_codes || []);
    } catch (e) { setError(e); }
  };
  if (codes) {
    return html`<div class="panel">
      <h3>Recovery codes</h3>
      <p>Two-factor authentication is on. Keep these codes somewhere safe: each one signs you in once if you lose your phone. They are not shown again.</p>
      <ul class="codes" aria-label="Recovery codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
      <button type="button" onClick=${onDone}>I have saved my recovery codes</button></div>`;
  }
  if (!setup) {
    return html`<div><button type="button" onClick=${start}>Set up two-factor authentication</button><${ErrorLine} error=${error} /></div>`;
  }
  return html`<div class="panel">
    <p>Scan this code with your authenticator app, or type the secret key.</p>
    <${QrCode} text=${setup.otpauth_uri} label="QR code for your authenticator app" />
    <p>Secret key: <code aria-label="Secret key">${setup.secret}</code></p>
    <form onSubmit=${confirm} aria-label="Confirm two-factor authentication">
      <label>Code from your app <input name="code" autocomplete="one-time-code" inputmode="numeric" required /></label>
      <button type="submit">Turn on</button>
      <${ErrorLine} error=${error} />
    </form></div>`;
}
