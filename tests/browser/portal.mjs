// Browser tests of the web portal: playwright-core drives Debian's Chromium
// (headless) against a running stack (the ctest fixture's, or ATRIUM_TEST_URL).
// Controls are found by role and accessible name, never by CSS class. Each
// test that fails leaves a screenshot of every open page in
// $ATRIUM_BROWSER_OUT/failures; ATRIUM_SCREENSHOTS=docs/screenshots also
// writes the README's screenshots. Run: node tests/browser/portal.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Api, stackUrl, totp, until, formatBytes } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const URL_ = stackUrl();
const OUT = path.resolve(process.env.ATRIUM_BROWSER_OUT || path.join(ROOT, 'build', 'browser-tests'));
const SHOTS = process.env.ATRIUM_SCREENSHOTS ? path.resolve(ROOT, process.env.ATRIUM_SCREENSHOTS) : null;
const WAIT = Number(process.env.ATRIUM_BROWSER_WAIT_MS || 30000); // generous: the ASan stack is slow
const PASSWORD = 'violet-harbour-lantern-42';

mkdirSync(path.join(OUT, 'failures'), { recursive: true });
if (SHOTS) mkdirSync(SHOTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.ATRIUM_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
});
const pages = new Set();
const dialogs = [];
const pageErrors = [];

async function newPage(opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true, ...opts });
  ctx.setDefaultTimeout(WAIT);
  const page = await ctx.newPage();
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/.test(m.text())) pageErrors.push(m.text()); });
  pages.add(page);
  return page;
}
async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: false });
}

// ---- the data: a firm, its owner with TOTP, clients, a client user ----------

const tag = randomBytes(4).toString('hex');
const owner = { email: `owner-${tag}@example.test`, name: 'Olivia Owner' };
const clientUser = { email: `carla-${tag}@example.test`, name: 'Carla Client' };
const XSS = '<img src=x onerror=alert(1)>';
const ARABIC = 'شركة النخيل للمحاسبة';
const HEBREW = 'חברת אור ושות׳';

const ownerApi = await Api.create(URL_);
await ownerApi.post('/api/v1/signup', { firm_name: 'Harbour & Vale LLP', name: owner.name, email: owner.email, password: PASSWORD });
const acme = await ownerApi.post('/api/v1/clients', { name: 'Acme Trading Ltd' });
const xss = await ownerApi.post('/api/v1/clients', { name: XSS });
const arabic = await ownerApi.post('/api/v1/clients', { name: ARABIC });
await ownerApi.post('/api/v1/clients', { name: HEBREW });
const invite = await ownerApi.post('/api/v1/invitations', { email: clientUser.email, kind: 'client', role: 'member', client_id: acme.id });
// TOTP for the owner, confirmed with the previous step's code, so the
// sign-in below (current step) is a newer code (a code works once)
const enrol = await ownerApi.post('/api/v1/me/mfa/totp');
await ownerApi.post('/api/v1/me/mfa/totp/confirm', { code: totp(enrol.secret, Math.floor(Date.now() / 30000) - 1) });

// ---- the tests ----------------------------------------------------------------

const state = {};
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('sign in with MFA', async () => {
  const page = await newPage();
  await page.goto(URL_ + '/');
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
  await page.getByLabel('Authentication code').fill(totp(enrol.secret));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: `Welcome, ${owner.name}` }).waitFor();
  state.owner = page;
});

test('invitation accepted in the browser', async () => {
  const page = await newPage();
  await page.goto(URL_ + new URL(invite.accept_url).pathname);
  await page.getByRole('heading', { name: 'Join Harbour & Vale LLP' }).waitFor();
  await page.getByLabel('Your name').fill(clientUser.name);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  await page.getByRole('heading', { name: `Welcome, ${clientUser.name}` }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  state.client = page;
});

test('hostile and right-to-left client names render as text', async () => {
  const page = state.owner;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clients' }).click();
  const xssLink = page.getByRole('link', { name: XSS, exact: true });
  await xssLink.waitFor();
  assert.equal(await xssLink.textContent(), XSS);
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'the name became an element');
  const ar = page.getByRole('link', { name: ARABIC });
  assert.equal(await ar.getAttribute('dir'), 'auto');
  assert.equal(await ar.evaluate((e) => e.matches(':dir(rtl)')), true, 'Arabic name is not laid out right-to-left');
  const he = page.getByRole('link', { name: HEBREW });
  assert.equal(await he.evaluate((e) => e.matches(':dir(rtl)')), true, 'Hebrew name is not laid out right-to-left');
  // search narrows the list
  await page.getByLabel('Search clients').fill('acme');
  await until(async () => (await page.getByRole('list', { name: 'Clients' }).getByRole('link').count()) === 1, 'the search to narrow the list');
  await page.getByLabel('Search clients').fill('');
  // the client's own page: the heading is the text too
  await xssLink.click();
  const h = page.getByRole('heading', { level: 1, name: XSS });
  await h.waitFor();
  assert.equal(await h.getAttribute('dir'), 'auto');
  await page.goto(URL_ + '/#/clients/' + arabic.id + '/documents');
  const ah = page.getByRole('heading', { level: 1, name: ARABIC });
  await ah.waitFor();
  assert.equal(await ah.evaluate((e) => e.matches(':dir(rtl)')), true);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  assert.deepEqual(dialogs, [], 'a dialog opened');
});

const files = [
  { name: 'engagement-letter.txt', type: 'text/plain', bytes: Buffer.from('Engagement letter\n'.repeat(40)) },
  { name: 'ledger-2026.bin', type: 'application/octet-stream', bytes: randomBytes(5000) },
];

test('upload two files by drag and drop, see both with their sizes', async () => {
  const page = state.owner;
  await page.goto(URL_ + '/#/clients/' + acme.id + '/documents');
  const zone = page.getByRole('region', { name: 'Upload files' });
  await zone.waitFor();
  const dt = await page.evaluateHandle((fs) => {
    const dt = new DataTransfer();
    for (const f of fs) {
      const bin = atob(f.b64);
      const u8 = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
      dt.items.add(new File([u8], f.name, { type: f.type }));
    }
    return dt;
  }, files.map((f) => ({ name: f.name, type: f.type, b64: f.bytes.toString('base64') })));
  await zone.dispatchEvent('dragenter', { dataTransfer: dt });
  await zone.dispatchEvent('dragover', { dataTransfer: dt });
  await zone.dispatchEvent('drop', { dataTransfer: dt });
  // a progress bar per file
  for (const f of files) await page.getByRole('progressbar', { name: 'Upload of ' + f.name }).waitFor();
  const table = page.getByRole('table', { name: 'Documents' });
  for (const f of files) {
    const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: f.name, exact: true }) });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(formatBytes(f.bytes.length).replace('.', '\\.')));
  }
  // and the API agrees to the byte
  const listed = await ownerApi.get(`/api/v1/clients/${acme.id}/documents`);
  for (const f of files) assert.equal(listed.items.find((d) => d.name === f.name).size, f.bytes.length);
  await until(async () => (await zone.getByText('uploaded').count()) === files.length, 'both uploads to finish');
});

test('a large file goes through tus with its progress bar', async () => {
  const page = state.owner;
  await page.goto(URL_ + '/#/clients/' + acme.id + '/documents');
  const zone = page.getByRole('region', { name: 'Upload files' });
  await zone.waitFor();
  const size = 9 * 1024 * 1024 + 123; // above js/upload.js TUS_FROM
  const dt = await page.evaluateHandle((n) => {
    const u8 = new Uint8Array(n);
    for (let i = 0; i < n; i++) u8[i] = (i * 31 + (i >> 10)) & 255;
    const dt = new DataTransfer();
    dt.items.add(new File([u8], 'scan-archive.bin', { type: 'application/octet-stream' }));
    return dt;
  }, size);
  const tusRequests = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/uploads')) tusRequests.push(r.method()); });
  await zone.dispatchEvent('drop', { dataTransfer: dt });
  await page.getByRole('progressbar', { name: 'Upload of scan-archive.bin' }).waitFor();
  await page.getByRole('table', { name: 'Documents' }).getByRole('link', { name: 'scan-archive.bin', exact: true }).waitFor({ timeout: WAIT * 3 });
  assert.ok(tusRequests.includes('POST') && tusRequests.filter((m) => m === 'PATCH').length >= 3, 'not uploaded with tus: ' + tusRequests.join(','));
  const expected = createHash('sha256');
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + (i >> 10)) & 255;
  expected.update(buf);
  const listed = await ownerApi.get(`/api/v1/clients/${acme.id}/documents?q=scan-archive`);
  assert.equal(listed.items[0].size, size);
  assert.equal(listed.items[0].sha256, expected.digest('hex'));
});

test('download a document and compare its bytes', async () => {
  const page = state.owner;
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download ' + files[1].name }).click(),
  ]);
  assert.equal(download.suggestedFilename(), files[1].name);
  const got = readFileSync(await download.path());
  assert.ok(got.equals(files[1].bytes), 'downloaded bytes differ');
});

test('a client user sees only their client', async () => {
  const page = state.client;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clients' }).click();
  const list = page.getByRole('list', { name: 'Clients' });
  await list.getByRole('link', { name: 'Acme Trading Ltd' }).waitFor();
  assert.equal(await list.getByRole('link').count(), 1);
  assert.equal(await page.getByText(XSS).count(), 0);
  await list.getByRole('link', { name: 'Acme Trading Ltd' }).click();
  const table = page.getByRole('table', { name: 'Documents' });
  for (const f of files) await table.getByRole('link', { name: f.name, exact: true }).waitFor();
  // another client of the firm is not there for them
  await page.goto(URL_ + '/#/clients/' + xss.id + '/documents');
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.equal(await page.getByText(XSS).count(), 0);
});

test('a document request: staff ask, the client uploads, staff accept', async () => {
  const staff = state.owner, client = state.client;
  await staff.goto(URL_ + '/#/clients/' + acme.id + '/documents');
  await staff.getByLabel('Document to request').fill('Passport copy');
  await staff.getByRole('button', { name: 'Request', exact: true }).click();
  const staffList = staff.getByRole('list', { name: 'Requested documents' });
  await staffList.getByText('Passport copy').waitFor();
  await client.goto(URL_ + '/#/clients/' + acme.id + '/documents');
  await client.getByLabel('Upload for Passport copy').setInputFiles({ name: 'passport.txt', mimeType: 'text/plain', buffer: Buffer.from('P<UTOERIKSSON<<ANNA<MARIA\n') });
  await client.getByRole('table', { name: 'Documents' }).getByRole('link', { name: 'passport.txt', exact: true }).waitFor();
  await staff.reload();
  await staff.getByRole('button', { name: 'Accept Passport copy' }).click();
  await staffList.getByText('accepted').waitFor();
});

test('a message posted in one browser appears in the other without reload', async () => {
  const staff = state.owner, client = state.client;
  await staff.goto(URL_ + '/#/clients/' + acme.id + '/messages');
  await staff.getByLabel('Subject').fill('Year-end accounts');
  await staff.getByLabel('First message').fill('Please upload your bank statements.');
  await staff.getByRole('button', { name: 'Start conversation' }).click();
  await staff.getByRole('heading', { name: 'Year-end accounts' }).waitFor();
  // the client opens the thread from the list (unread)
  await client.goto(URL_ + '/#/clients/' + acme.id + '/messages');
  const threads = client.getByRole('list', { name: 'Threads' });
  await threads.getByText('1 unread').waitFor();
  await threads.getByRole('link', { name: 'Year-end accounts' }).click();
  const clientMsgs = client.getByRole('list', { name: 'Messages' });
  await clientMsgs.getByText('Please upload your bank statements.').waitFor();
  for (const p of [staff, client]) await until(() => p.evaluate(() => document.documentElement.dataset.live === 'on'), 'the live socket');
  const urlBefore = client.url();
  const marker = await client.evaluate(() => (window.__noReload = Math.random()));
  await staff.getByLabel('Message', { exact: true }).fill('Thanks — the deadline is 31 January. مرحبا');
  await staff.getByRole('button', { name: 'Send' }).click();
  await clientMsgs.getByText('Thanks — the deadline is 31 January. مرحبا').waitFor();
  assert.equal(await client.evaluate(() => window.__noReload), marker, 'the page reloaded');
  assert.equal(client.url(), urlBefore);
  // and back
  await client.getByLabel('Message', { exact: true }).fill('Uploaded them just now.');
  await client.getByRole('button', { name: 'Send' }).click();
  await staff.getByRole('list', { name: 'Messages' }).getByText('Uploaded them just now.').waitFor();
  state.threadUrl = staff.url();
});

test('complete a task', async () => {
  const me = await ownerApi.get(`/api/v1/clients/${acme.id}/members`);
  const carla = me.items.find((m) => m.email === clientUser.email);
  const task = await ownerApi.post(`/api/v1/clients/${acme.id}/tasks`, {
    title: 'Send signed engagement letter', assignee_ids: [carla.user_id], due_at: new Date(Date.now() + 5 * 86400000).toISOString(),
  });
  // the owner's own task, due this week: the staff dashboard lists it (tasks_due)
  const ownerMe = await ownerApi.get('/api/v1/me');
  await ownerApi.post(`/api/v1/clients/${acme.id}/tasks`, {
    title: 'Review VAT return', assignee_ids: [ownerMe.user.id], due_at: new Date(Date.now() + 3 * 86400000).toISOString(),
  });
  const page = state.client;
  await page.goto(URL_ + '/#/clients/' + acme.id + '/tasks');
  const table = page.getByRole('table', { name: 'Tasks' });
  const row = table.getByRole('row').filter({ hasText: 'Send signed engagement letter' });
  await row.waitFor();
  assert.match(await row.innerText(), /Carla Client/);
  await page.getByRole('button', { name: 'Complete Send signed engagement letter' }).click();
  await until(async () => /Done/.test(await row.innerText()), 'the task to show as done');
  assert.equal(await page.getByRole('button', { name: 'Complete Send signed engagement letter' }).count(), 0);
  const after = await ownerApi.get('/api/v1/tasks/' + task.id);
  assert.ok(after.completed_at, 'completed_at is not set');
  // the staff board shows it under Done, live
  const staff = state.owner;
  await staff.goto(URL_ + '/#/clients/' + acme.id + '/tasks');
  await staff.getByRole('button', { name: 'Board' }).click();
  await staff.getByRole('region', { name: 'Done' }).getByText('Send signed engagement letter').waitFor();
  await staff.getByRole('region', { name: 'Open' }).getByText('Review VAT return').waitFor();
  await staff.getByRole('button', { name: 'Timeline' }).click();
  await staff.getByRole('img', { name: 'Timeline of the tasks' }).getByText('Review VAT return').waitFor();
});

test('a signature request: staff ask a client member, who signs from the dashboard with typed name and consent', async () => {
  const staff = state.owner, client = state.client;
  const doc = (await ownerApi.get(`/api/v1/clients/${acme.id}/documents?q=engagement`)).items.find((d) => d.name === files[0].name);
  await staff.goto(URL_ + '/#/documents/' + doc.id);
  const sig = staff.getByRole('region', { name: 'Signatures and approvals' });
  await sig.getByText('No signature requests.').waitFor();
  await sig.getByText('Ask for a signature or approval').click();
  const form = staff.getByRole('form', { name: 'Ask for a signature or approval' });
  await form.getByRole('group', { name: 'Client users' }).getByLabel(clientUser.name).check();
  await form.getByLabel('Message to the signers').fill('Please sign the engagement letter.');
  await form.getByRole('button', { name: 'Send request' }).click();
  const staffSigners = sig.getByRole('list', { name: 'Signers' });
  await staffSigners.getByRole('listitem').filter({ hasText: clientUser.name }).getByText('waiting').waitFor();
  // the member: the dashboard counts it and links to the document
  await client.goto(URL_ + '/');
  const card = client.getByRole('region', { name: 'Awaiting your signature' });
  await until(async () => (await card.locator('.big').innerText()) === '1', 'the pending signature count');
  await card.getByRole('list', { name: 'Documents awaiting your signature' }).getByRole('link', { name: files[0].name }).click();
  await client.getByRole('heading', { level: 1, name: files[0].name }).waitFor();
  const signForm = client.getByRole('form', { name: 'Sign the document' });
  await signForm.getByLabel('Type your full name').fill(clientUser.name);
  // consent is explicit: without the box ticked the form does not go
  await signForm.getByRole('button', { name: 'Sign' }).click();
  assert.equal(await signForm.getByRole('checkbox').evaluate((e) => e.validity.valueMissing), true);
  assert.equal((await ownerApi.get(`/api/v1/documents/${doc.id}/signature-requests`)).items[0].status, 'pending');
  await signForm.getByRole('checkbox', { name: /I agree that typing my name/ }).check();
  await signForm.getByRole('button', { name: 'Sign' }).click();
  const mine = client.getByRole('list', { name: 'Signers' }).getByRole('listitem').filter({ hasText: clientUser.name });
  await mine.getByText('signed', { exact: true }).waitFor();
  await client.getByRole('region', { name: 'Signatures and approvals' }).getByText('completed').first().waitFor();
  assert.equal(await client.getByRole('form', { name: 'Sign the document' }).count(), 0);
  // staff see it signed, with the certificate as JSON and PDF
  await staff.reload();
  await staffSigners.getByRole('listitem').filter({ hasText: clientUser.name }).getByText('signed', { exact: true }).waitFor();
  const json = await sig.getByRole('link', { name: 'JSON' }).getAttribute('href');
  const pdf = await sig.getByRole('link', { name: 'PDF' }).getAttribute('href');
  const cert = await (await staff.request.get(URL_ + json)).json();
  assert.equal(cert.status, 'completed');
  assert.equal(cert.document_sha256, doc.sha256);
  assert.equal(cert.signers[0].typed_name, clientUser.name);
  const pdfResp = await staff.request.get(URL_ + pdf);
  assert.equal(pdfResp.status(), 200);
  assert.equal((await pdfResp.body()).subarray(0, 5).toString(), '%PDF-');
});

test('a signer declines with a reason on the request\'s own page', async () => {
  const client = state.client;
  const members = await ownerApi.get(`/api/v1/clients/${acme.id}/members`);
  const carla = members.items.find((m) => m.email === clientUser.email);
  const doc = (await ownerApi.get(`/api/v1/clients/${acme.id}/documents?q=ledger`)).items[0];
  const req = await ownerApi.post(`/api/v1/documents/${doc.id}/signature-requests`, { signer_ids: [carla.user_id], kind: 'approval' });
  await client.goto(URL_ + '/#/signatures/' + req.id);
  await client.getByRole('heading', { level: 1, name: 'Approval request' }).waitFor();
  await client.getByRole('link', { name: doc.name }).waitFor();
  await client.getByLabel('Reason for declining').fill('The figures for March are wrong.');
  await client.getByRole('button', { name: 'Decline' }).click();
  const mine = client.getByRole('list', { name: 'Signers' }).getByRole('listitem').filter({ hasText: clientUser.name });
  await mine.getByText('declined', { exact: true }).waitFor();
  await mine.getByText('The figures for March are wrong.').waitFor();
  const after = await ownerApi.get('/api/v1/signature-requests/' + req.id);
  assert.equal(after.status, 'declined');
  assert.equal(after.signers[0].reason, 'The figures for March are wrong.');
});

/** A PNG of w x h pixels (RGB, a gradient), made here with zlib. */
function makePng(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = y * (w * 3 + 1) + 1 + x * 3;
    raw[o] = (x * 255) / w; raw[o + 1] = (y * 255) / h; raw[o + 2] = 128;
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

test('an uploaded PNG shows its preview image once it is made', async () => {
  const page = state.owner;
  await page.goto(URL_ + '/#/clients/' + acme.id + '/documents');
  await page.getByRole('region', { name: 'Upload files' }).getByLabel('Choose files').setInputFiles({ name: 'site-photo.png', mimeType: 'image/png', buffer: makePng(96, 64) });
  // the first answer is "being made" (404 + Retry-After) whether or not the
  // thumbnail is quick, so the retry is exercised; then the server's own answers
  let held = 0;
  await page.route('**/api/v1/documents/*/preview', (r) => (held++ === 0
    ? r.fulfill({ status: 404, headers: { 'Retry-After': '1' }, json: { error: { code: 'not_found', message: 'Not found' } } })
    : r.continue()));
  await page.getByRole('table', { name: 'Documents' }).getByRole('link', { name: 'site-photo.png', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'site-photo.png' }).waitFor();
  await page.getByText('The preview is being made').waitFor();
  const img = page.getByRole('img', { name: 'Preview of site-photo.png' });
  await img.waitFor({ timeout: WAIT * 2 }); // made in the background: the page retries after Retry-After
  await page.unroute('**/api/v1/documents/*/preview');
  assert.ok(held >= 2, 'the preview was not asked for again');
  await until(() => img.evaluate((e) => e.complete && e.naturalWidth === 96 && e.naturalHeight === 64), 'the preview to load at 96x64');
  // a text file has no preview: no image and no waiting message
  const txt = (await ownerApi.get(`/api/v1/clients/${acme.id}/documents?q=engagement`)).items[0];
  await page.goto(URL_ + '/#/documents/' + txt.id);
  await page.getByRole('heading', { level: 1, name: txt.name }).waitFor();
  await page.getByRole('list', { name: 'Activity' }).getByText('uploaded').first().waitFor();
  assert.equal(await page.getByRole('img', { name: /^Preview of/ }).count(), 0);
  assert.equal(await page.getByText('The preview is being made').count(), 0);
});

test('search finds an uploaded text file by a word of its content', async () => {
  const page = state.owner;
  const word = 'quillfeather' + tag;
  await page.goto(URL_ + '/#/clients/' + acme.id + '/documents');
  await page.getByRole('region', { name: 'Upload files' }).getByLabel('Choose files').setInputFiles({ name: 'board-minutes.txt', mimeType: 'text/plain', buffer: Buffer.from(`Minutes of the board.\nThe ${word} account was closed.\n`) });
  await page.getByRole('table', { name: 'Documents' }).getByRole('link', { name: 'board-minutes.txt', exact: true }).waitFor();
  await page.getByRole('search').getByRole('searchbox', { name: 'Search' }).fill(word);
  await page.keyboard.press('Enter');
  const results = page.getByRole('list', { name: 'Search results' });
  // the text is extracted in the background: search again until it is in
  await until(async () => {
    if (await results.getByRole('link', { name: 'board-minutes.txt' }).count()) return true;
    await page.reload();
    await page.getByRole('heading', { name: /Search results for/ }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Searching' }).waitFor({ state: 'detached' });
    return false;
  }, 'the text file in the search results', WAIT * 2);
  assert.match(await results.getByRole('listitem').filter({ hasText: 'board-minutes.txt' }).innerText(), new RegExp(word));
  await results.getByRole('link', { name: 'board-minutes.txt' }).click();
  await page.getByRole('heading', { level: 1, name: 'board-minutes.txt' }).waitFor();
});

test('the dashboard on a 375-pixel phone has no horizontal scroll', async () => {
  const page = await newPage({ viewport: { width: 375, height: 812 }, storageState: await state.owner.context().storageState(), isMobile: true, hasTouch: true });
  await page.goto(URL_ + '/');
  await page.getByRole('heading', { name: `Welcome, ${owner.name}` }).waitFor();
  await page.getByRole('heading', { name: 'Tasks due' }).waitFor();
  await page.getByRole('link', { name: 'Review VAT return' }).waitFor();
  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(widths[0] <= widths[1], `page is ${widths[0]} px wide in a ${widths[1]} px viewport`);
  await shot(page, 'mobile');
  // the documents page too
  await page.goto(URL_ + '/#/clients/' + acme.id + '/documents');
  await page.getByRole('link', { name: files[0].name, exact: true }).waitFor();
  const w2 = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(w2[0] <= w2[1], `documents page is ${w2[0]} px wide in a ${w2[1]} px viewport`);
});

test('branding from GET /api/v1/branding: name, colour, renamed terms', async () => {
  // answered here in api.md's shape, so the test holds whether or not this
  // server has the endpoint yet
  const page = await newPage({ storageState: await state.owner.context().storageState() });
  await page.context().route('**/api/v1/branding', (r) => r.fulfill({ json: {
    portal_name: 'Vale Client Hub', primary_color: '#7a1f5c', logo_url: null,
    labels: { client: 'Matter', clients: 'Matters' }, dashboard_sections: ['tasks_due', 'recent_activity'],
  } }));
  await page.goto(URL_ + '/');
  await page.getByRole('link', { name: 'Vale Client Hub' }).waitFor();
  assert.equal(await page.title(), 'Vale Client Hub');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Matters' }).click();
  await page.getByRole('heading', { level: 1, name: 'Matters' }).waitFor();
  await page.getByLabel('Search matters').waitFor();
  const colour = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--brand').trim());
  assert.equal(colour, '#7a1f5c');
  await page.goto(URL_ + '/');
  await page.getByRole('heading', { name: 'Tasks due' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Open invoices' }).count(), 0, 'dashboard_sections not applied');
  await page.context().close();
  pages.delete(page);
});

test('the admin branding form: field errors, then the saved branding on the shell and the sign-in page', async () => {
  const page = state.owner;
  await page.goto(URL_ + '/#/admin/branding');
  const form = page.getByRole('form', { name: 'Branding' });
  await form.getByLabel('Portal name').fill('Vale Portal');
  await form.getByLabel('Logo address').fill('javascript:alert(1)');
  await form.getByRole('button', { name: 'Save branding' }).click();
  // the server's 400 names logo_url: shown under that field, which is marked invalid
  const logo = form.getByLabel('Logo address');
  await until(async () => (await logo.getAttribute('aria-invalid')) === 'true', 'logo_url to be marked invalid');
  const errId = await logo.getAttribute('aria-describedby');
  assert.match(await page.locator('#' + errId).innerText(), /\S/);
  assert.equal(await form.getByLabel('Portal name').getAttribute('aria-invalid'), null);
  await logo.fill('');
  await form.getByLabel('Colour').fill('#7a1f5c');
  await form.getByLabel('Call “client”').fill('Matter');
  await form.getByLabel('Call “clients”').fill('Matters');
  // open invoices hidden; recent activity moved to the top
  await form.getByLabel('Show “Open invoices”').uncheck();
  for (let i = 0; i < 5; i++) await form.getByRole('button', { name: 'Move “Recent activity” up' }).click();
  await form.getByRole('button', { name: 'Save branding' }).click();
  await form.getByText('Branding saved.').waitFor();
  const saved = await ownerApi.get('/api/v1/branding');
  assert.equal(saved.portal_name, 'Vale Portal');
  assert.equal(saved.primary_color, '#7a1f5c');
  assert.equal(saved.labels.clients, 'Matters');
  assert.deepEqual(saved.dashboard_sections, ['recent_activity', 'new_since_last_login', 'tasks_due', 'unread_threads', 'pending_signatures']);
  // the shell took it at once
  await page.getByRole('link', { name: 'Vale Portal' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Matters' }).waitFor();
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()), '#7a1f5c');
  await page.goto(URL_ + '/');
  await page.getByRole('heading', { name: 'Recent activity' }).waitFor();
  const order = await page.locator('main h2').allInnerTexts();
  assert.equal(order[0], 'Recent activity');
  assert.ok(!order.includes('Open invoices'), 'a hidden section is shown: ' + order.join(', '));
  // the sign-in page of the firm (no session: ?firm= names it)
  const anon = await newPage();
  const me = await ownerApi.get('/api/v1/me');
  await anon.goto(URL_ + '/?firm=' + me.user.firm_id);
  await anon.getByRole('heading', { name: 'Sign in to Vale Portal' }).waitFor();
  assert.equal(await anon.title(), 'Vale Portal');
  assert.equal(await anon.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()), '#7a1f5c');
  await anon.context().close();
  pages.delete(anon);
  // back to the defaults for the tests and screenshots that follow
  await ownerApi.put('/api/v1/settings/branding', {});
  await page.reload();
  await page.getByRole('link', { name: 'Atrium', exact: true }).waitFor();
});

test('search finds a document', async () => {
  const page = state.owner;
  await page.getByRole('search').getByRole('searchbox', { name: 'Search' }).fill('ledger');
  await page.keyboard.press('Enter');
  const results = page.getByRole('list', { name: 'Search results' });
  await results.getByRole('link', { name: 'ledger-2026.bin' }).click();
  await page.getByRole('heading', { level: 1, name: 'ledger-2026.bin' }).waitFor();
  await page.getByRole('list', { name: 'Activity' }).getByText('uploaded').first().waitFor();
});

test('keyboard: sign-in works with the keyboard alone', async () => {
  const page = await newPage();
  await page.goto(URL_ + '/');
  await page.getByLabel('Email').waitFor();
  await page.keyboard.press('Tab'); // the email field is the page's first control
  assert.ok(await page.getByLabel('Email').evaluate((e) => e === document.activeElement), 'Tab did not reach the email field');
  await page.keyboard.type(clientUser.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: `Welcome, ${clientUser.name}` }).waitFor();
});

test('the audit trail filters, and its export link carries the filters', async () => {
  const page = state.owner;
  await page.goto(URL_ + '/#/admin/audit');
  const table = page.getByRole('table', { name: 'Audit events' });
  await table.getByRole('cell', { name: 'document.uploaded' }).first().waitFor();
  await page.getByLabel('Action').fill('message.posted');
  await page.getByRole('button', { name: 'Filter' }).click();
  await until(async () => {
    const cells = await table.locator('tbody tr td:nth-child(4)').allInnerTexts();
    return cells.length > 0 && cells.every((c) => c === 'message.posted');
  }, 'only message.posted events');
  const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  assert.match(href, /format=csv/);
  assert.match(href, /action=message\.posted/);
  const r = await page.request.get(URL_ + href);
  assert.equal(r.status(), 200);
  const csv = await r.text();
  assert.match(csv, /message\.posted/);
  assert.doesNotMatch(csv, /document\.uploaded/);
});

function mailDir() {
  if (process.env.ATRIUM_TEST_DATA) return path.join(process.env.ATRIUM_TEST_DATA, 'mail');
  return path.join(JSON.parse(readFileSync(process.env.ATRIUM_TEST_STACK_FILE, 'utf8')).data_dir, 'mail');
}

test('password reset through the mailed link', async () => {
  const page = await newPage();
  await page.goto(URL_ + '/');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Email').fill(clientUser.email);
  await page.getByRole('button', { name: 'Mail me a reset link' }).click();
  await page.getByText('a link to reset its password is on its way').waitFor();
  const token = await until(() => {
    for (const name of existsSync(mailDir()) ? readdirSync(mailDir()) : []) {
      const text = readFileSync(path.join(mailDir(), name), 'utf8').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
      if (!text.includes(clientUser.email)) continue;
      const m = text.match(/\/reset\/([A-Za-z0-9_-]{43})\b/);
      if (m) return m[1];
    }
    return null;
  }, 'the reset mail', WAIT * 2);
  await page.goto(URL_ + '/reset/' + token);
  await page.getByLabel(/^New password/).fill(PASSWORD + '-renewed');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByRole('button', { name: 'Go to sign-in' }).click();
  await page.getByLabel('Email').fill(clientUser.email);
  await page.getByLabel('Password').fill(PASSWORD + '-renewed');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: `Welcome, ${clientUser.name}` }).waitFor();
  state.client2 = page;
});

test('MFA enrolment with a QR code and recovery codes', async () => {
  const page = state.client2;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
  await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  const secret = (await page.getByLabel('Secret key').innerText()).trim();
  await page.getByLabel('Code from your app').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codes = page.getByRole('list', { name: 'Recovery codes' });
  await codes.waitFor();
  assert.equal(await codes.getByRole('listitem').count(), 10);
  await page.getByRole('button', { name: 'I have saved my recovery codes' }).click();
  await page.getByText('Two-factor authentication is on').waitFor();
});

test('API tokens: create, use, revoke; sessions listed', async () => {
  const page = state.client2;
  await page.getByLabel('Token name').fill('Bookkeeping export');
  await page.getByRole('button', { name: 'Create token' }).click();
  const value = await page.getByLabel('New API token value').inputValue();
  assert.match(value, /^atr_/);
  // the page's cookie would win over the token: ask from a cookie-less context
  const anon = await Api.create(URL_);
  const me = await anon.ctx.get('/api/v1/me', { headers: { Authorization: 'Bearer ' + value } });
  assert.equal(me.status(), 200);
  await page.getByRole('button', { name: 'Revoke token Bookkeeping export' }).click();
  await until(async () => (await page.getByRole('button', { name: 'Revoke token Bookkeeping export' }).count()) === 0, 'the token to go');
  await until(async () => (await anon.ctx.get('/api/v1/me', { headers: { Authorization: 'Bearer ' + value } })).status() === 401, 'the token to stop working', 90000);
  await anon.dispose();
  await page.getByRole('table', { name: 'Sessions' }).getByText('this session').waitFor();
});

test('screenshots for the README', async () => {
  if (!SHOTS) return;
  const page = state.owner;
  // something awaiting the owner's own signature, so that card shows data
  const ownerMe = await ownerApi.get('/api/v1/me');
  const minutes = (await ownerApi.get(`/api/v1/clients/${acme.id}/documents?q=board-minutes`)).items[0];
  await ownerApi.post(`/api/v1/documents/${minutes.id}/signature-requests`, { signer_ids: [ownerMe.user.id], message: 'Minutes to approve before Friday.' });
  await page.goto(URL_ + '/');
  await page.getByRole('list', { name: 'Documents awaiting your signature' }).getByRole('link', { name: 'board-minutes.txt' }).waitFor();
  await page.getByRole('heading', { name: 'Tasks due' }).waitFor();
  await page.getByRole('link', { name: 'Review VAT return' }).waitFor();
  await shot(page, 'dashboard');
  await page.goto(URL_ + '/#/clients/' + acme.id + '/documents');
  await page.getByRole('link', { name: files[0].name, exact: true }).waitFor();
  await shot(page, 'documents');
  const photo = (await ownerApi.get(`/api/v1/clients/${acme.id}/documents?q=site-photo`)).items[0];
  await page.goto(URL_ + '/#/documents/' + photo.id);
  await page.getByRole('img', { name: 'Preview of site-photo.png' }).waitFor();
  await shot(page, 'document');
  const letter = (await ownerApi.get(`/api/v1/clients/${acme.id}/documents?q=engagement`)).items[0];
  await page.goto(URL_ + '/#/documents/' + letter.id);
  await page.getByRole('list', { name: 'Signers' }).getByText('signed', { exact: true }).waitFor();
  await page.getByRole('region', { name: 'Signatures and approvals' }).scrollIntoViewIfNeeded();
  await shot(page, 'signature');
  await page.goto(state.threadUrl);
  await page.getByText('Uploaded them just now.').waitFor();
  await shot(page, 'thread');
});

// ---- the runner -------------------------------------------------------------

let failed = 0;
const started = Date.now();
for (const t of tests) {
  const t0 = Date.now();
  try {
    await t.fn();
    assert.deepEqual(pageErrors, [], 'script errors or CSP violations in the page');
    console.log(`ok     ${t.name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAILED ${t.name} (${Date.now() - t0} ms)\n${e && e.stack ? e.stack : e}`);
    let i = 0;
    for (const p of pages) {
      const file = path.join(OUT, 'failures', `${t.name.replace(/[^a-z0-9]+/gi, '-')}-${++i}.png`);
      try { await p.screenshot({ path: file, fullPage: true }); console.log('       screenshot: ' + file); } catch { /* closed */ }
    }
    pageErrors.length = 0;
  }
}
await ownerApi.dispose();
await browser.close();
console.log(`${tests.length - failed}/${tests.length} browser tests passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
