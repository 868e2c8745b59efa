// Helpers of the browser tests: the stack's URL, an API client on
// playwright's request context (cookies kept, CSRF header added), RFC 6238
// TOTP codes, and waiting for text without sleeping blindly.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'playwright-core';

/** The stack under test: ATRIUM_TEST_URL, or the ctest fixture's stack file. */
export function stackUrl() {
  if (process.env.ATRIUM_TEST_URL) return process.env.ATRIUM_TEST_URL.replace(/\/$/, '');
  const file = process.env.ATRIUM_TEST_STACK_FILE;
  if (!file) throw new Error('set ATRIUM_TEST_URL or ATRIUM_TEST_STACK_FILE');
  return JSON.parse(readFileSync(file, 'utf8')).url;
}

/** An API client speaking api.md as one user (its own cookie jar). */
export class Api {
  static async create(baseURL) {
    const a = new Api();
    a.ctx = await request.newContext({ baseURL });
    a.csrf = null;
    return a;
  }
  async call(method, path, body, { expect } = {}) {
    const headers = {};
    if (this.csrf && method !== 'GET') headers['X-CSRF-Token'] = this.csrf;
    const r = await this.ctx.fetch(path, { method, headers, data: body === undefined ? undefined : body, timeout: 60000 });
    const text = await r.text();
    const json = text ? JSON.parse(text) : null;
    const want = expect || [200, 201, 202, 204];
    if (!want.includes(r.status())) throw new Error(`${method} ${path}: ${r.status()} ${text}`);
    if (json && json.csrf_token) this.csrf = json.csrf_token;
    return json;
  }
  get(p) { return this.call('GET', p); }
  post(p, b) { return this.call('POST', p, b ?? {}); }
  put(p, b) { return this.call('PUT', p, b ?? {}); }
  async dispose() { await this.ctx.dispose(); }
}

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '').toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error('bad base32');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at step (default: now). */
export function totp(secret, step = Math.floor(Date.now() / 30000)) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const off = mac[mac.length - 1] & 15;
  const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, '0');
}

/** Resolves once fn() is truthy (polled), else rejects after ms with what. */
export async function until(fn, what, ms = 30000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The portal's size format (js/lib.js formatBytes), to find a size as shown. */
export function formatBytes(n) {
  if (n < 1024) return n + ' B';
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
  return n.toFixed(n < 10 ? 1 : 0) + ' ' + units[i];
}
