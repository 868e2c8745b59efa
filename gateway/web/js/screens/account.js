// Account: profile, password, two-factor authentication, sessions with
// revoke, personal API tokens, and the caller's own activity.
import { useState } from 'preact/hooks';
import { html, api, useApi, useApp, formatTime, ErrorLine, detailsOf } from '../lib.js';
import { MfaSetup } from './auth.js';

function Profile() {
  const { me, refreshMe } = useApp();
  const [msg, setMsg] = useState('');
  const [error, setError] = useState(null);
  const submit = async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    setError(null); setMsg('');
    try { await api('PATCH', '/api/v1/me', { name: f.get('name'), time_zone: f.get('time_zone') }); setMsg('Saved.'); refreshMe(); }
    catch (e) { setError(e); }
  };
  return html`<section aria-labelledby="prof-h" class="panel">
    <h2 id="prof-h">Profile</h2>
    <form class="stack" onSubmit=${submit} aria-label="Profile">
      <label>Name <input name="name" value=${me.user.name} required dir="auto" /></label>
      <label>Email <input value=${me.user.email} readonly /></label>
      <label>Time zone <input name="time_zone" value=${me.user.time_zone || Intl.DateTimeFormat().resolvedOptions().timeZone} /></label>
      <button type="submit">Save profile</button>
      <p role="status">${msg}</p><${ErrorLine} error=${error} />
    </form></section>`;
}

function Password() {
  const [msg, setMsg] = useState('');
  const [error, setError] = useState(null);
  const submit = async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    setError(null); setMsg('');
    try {
      await api('POST', '/api/v1/me/password', { current_password: f.get('current'), new_password: f.get('new') });
      ev.target.reset();
      setMsg('Password changed. Your other sessions have ended.');
    } catch (e) { setError(e); }
  };
  return html`<section aria-labelledby="pw-h" class="panel">
    <h2 id="pw-h">Password</h2>
    <form class="stack" onSubmit=${submit} aria-label="Change password">
      <label>Current password <input name="current" type="password" autocomplete="current-password" required /></label>
      <label>New password (at least 12 characters) <input name="new" type="password" autocomplete="new-password" minlength="12" required /></label>
      <button type="submit">Change password</button>
      <p role="status">${msg}</p><${ErrorLine} error=${error} />
    </form></section>`;
}

function Mfa() {
  const { me, refreshMe } = useApp();
  const [error, setError] = useState(null);
  const off = async (ev) => {
    ev.preventDefault();
    setError(null);
    try { await api('DELETE', '/api/v1/me/mfa/totp', { password: new FormData(ev.target).get('password') }); refreshMe(); }
    catch (e) { setError(e); }
  };
  return html`<section aria-labelledby="mfa-h" class="panel">
    <h2 id="mfa-h">Two-factor authentication</h2>
    ${me.user.mfa_enabled ? html`<p>Two-factor authentication is <strong>on</strong>.</p>
      <form class="inline" onSubmit=${off} aria-label="Turn off two-factor authentication">
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        <button type="submit">Turn off</button><${ErrorLine} error=${error} /></form>`
      : html`<p>Two-factor authentication is <strong>off</strong>.</p><${MfaSetup} onDone=${refreshMe} />`}
  </section>`;
}

function Sessions() {
  const list = useApi('/api/v1/me/sessions');
  const [error, setError] = useState(null);
  const revoke = async (s) => { setError(null); try { await api('DELETE', '/api/v1/me/sessions/' + s.id); list.reload(); } catch (e) { setError(e); } };
  return html`<section aria-labelledby="ses-h" class="panel">
    <h2 id="ses-h">Sessions</h2>
    <${ErrorLine} error=${list.error || error} />
    <div class="scroll"><table aria-label="Sessions"><thead><tr><th>Browser</th><th>IP</th><th>Started</th><th>Last used</th><th></th></tr></thead>
      <tbody>${((list.data && list.data.items) || []).map((s, i) => html`<tr>
        <td class="ua">${s.user_agent}</td><td>${s.ip}</td><td>${formatTime(s.created_at)}</td><td>${formatTime(s.last_used_at)}</td>
        <td>${s.current ? html`<span class="tag">this session</span>` : html`<button type="button" onClick=${() => revoke(s)} aria-label=${'Revoke session ' + (i + 1) + ' from ' + (s.ip || 'unknown')}>Revoke</button>`}</td>
      </tr>`)}</tbody></table></div></section>`;
}

function Tokens() {
  const list = useApi('/api/v1/me/tokens');
  const [made, setMade] = useState(null);
  const [error, setError] = useState(null);
  const create = async (ev) => {
    ev.preventDefault();
    setError(null);
    try { setMade(await api('POST', '/api/v1/me/tokens', { name: new FormData(ev.target).get('name') })); ev.target.reset(); list.reload(); }
    catch (e) { setError(e); }
  };
  const revoke = async (t) => { setError(null); try { await api('DELETE', '/api/v1/me/tokens/' + t.id); list.reload(); } catch (e) { setError(e); } };
  return html`<section aria-labelledby="tok-h" class="panel">
    <h2 id="tok-h">API tokens</h2>
    <form class="inline" onSubmit=${create} aria-label="New API token">
      <label>Token name <input name="name" required dir="auto" /></label><button type="submit">Create token</button></form>
    ${made ? html`<div class="panel" role="status"><p>Copy this token now: it is not shown again.</p>
      <input readonly aria-label="New API token value" value=${made.token} class="wide" /></div>` : null}
    <${ErrorLine} error=${list.error || error} />
    <ul class="list" aria-label="API tokens">${((list.data && list.data.items) || []).map((t) => html`<li>
      <span dir="auto">${t.name}</span> <span class="muted">created ${formatTime(t.created_at)} · ${t.last_used_at ? 'last used ' + formatTime(t.last_used_at) : 'never used'}</span>
      <button type="button" onClick=${() => revoke(t)} aria-label=${'Revoke token ' + t.name}>Revoke</button></li>`)}</ul>
  </section>`;
}

function MyActivity() {
  const list = useApi('/api/v1/me/activity?limit=20');
  return html`<section aria-labelledby="act-h" class="panel">
    <h2 id="act-h">Your recent activity</h2>
    <ul class="activity">${((list.data && list.data.items) || []).map((e) => html`<li>${e.action}
      ${detailsOf(e).name ? html` <span dir="auto">${detailsOf(e).name}</span>` : null}
      <span class="muted"> ${formatTime(e.at)} · ${e.ip || ''}</span></li>`)}</ul></section>`;
}

export function Account() {
  return html`<section>
    <h1>Account</h1>
    <div class="cards wide-cards">
      <${Profile} /><${Password} /><${Mfa} /><${Sessions} /><${Tokens} /><${MyActivity} />
    </div></section>`;
}
