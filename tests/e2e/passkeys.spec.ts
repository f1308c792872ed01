import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { readOutbox } from '../../apps/server/src/cli/outbox.ts';
import { launchBrowser, messages, shot, submitSignUp, uniqueSuffix } from './support.ts';

/**
 * Passkeys in a real browser, with Chromium's virtual authenticator (DevTools protocol) standing
 * in for the phone's or laptop's: a practice owner signs up, adds a passkey (at the first sign-in
 * when the practice requires a second factor, else from My security), renames it, signs out,
 * signs in with the password and the passkey as second factor, then with the passkey alone; and
 * when the device cannot verify the person, or holds no passkey, the page says so and nobody is
 * signed in.
 *
 * WebAuthn refuses IP addresses as relying-party IDs, so this spec runs its own Haven whose
 * public URL is http://localhost:<port> (the shared test server is reached as 127.0.0.1).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const t = messages('en');
const id = uniqueSuffix();
const practice = { name: `Praktijk De Sleutel ${id}`, owner: { name: `Sanne de Wit ${id}`, email: `sanne-${id}@sleutel.example`, password: `Harbour lantern ${id} meadow` } };

let server: ChildProcess;
let dataDir = '';
let baseUrl = '';
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
let authenticatorId = '';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

before(async () => {
  const port = await freePort();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'haven-e2e-passkeys-'));
  baseUrl = `http://localhost:${port}`;
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  server = spawn(process.execPath, [tsx, path.join(root, 'apps/server/src/main.ts')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'development',
      HAVEN_HOST: '127.0.0.1',
      HAVEN_PORT: String(port),
      HAVEN_PUBLIC_URL: baseUrl,
      HAVEN_DATA_DIR: dataDir,
      HAVEN_LOG_LEVEL: process.env.HAVEN_E2E_LOG_LEVEL ?? 'warn',
      HAVEN_LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
    },
  });
  let ready = false;
  for (let attempt = 0; attempt < 120 && !ready; attempt += 1) {
    try {
      ready = (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  assert.ok(ready, 'the passkey test server became ready');

  browser = await launchBrowser();
  context = await browser.newContext({ locale: 'en-GB', acceptDownloads: true });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  // The platform authenticator of this "device": keeps discoverable credentials and verifies the
  // person (as a fingerprint reader would), without anyone touching it.
  cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  }));
});

after(async () => {
  await context?.close();
  await browser?.close();
  server?.kill('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The newest mail to `to` in this server's outbox with a link containing `pathPrefix`. */
async function linkFromOutbox(to: string, pathPrefix: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const link = readOutbox(path.join(dataDir, 'outbox', 'mail'), 50)
      .find((mail) => mail.to === to && mail.links.some((candidate) => candidate.includes(pathPrefix)))
      ?.links.find((candidate) => candidate.includes(pathPrefix));
    if (link) return link;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no mail to ${to} with a ${pathPrefix} link`);
}

async function passwordStep(email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  const form = page.getByTestId('login-form');
  await form.getByLabel(t('fields.email'), { exact: true }).fill(email);
  await form.getByLabel(t('fields.password'), { exact: true }).fill(password);
  await form.getByRole('button', { name: t('login.submit') }).click();
}

async function signOut(): Promise<void> {
  await page.getByTestId('logout').click();
  await page.getByTestId('login-form').waitFor();
}

async function sessionState(): Promise<string> {
  const response = await page.request.get(`${baseUrl}/api/v1/auth/session`);
  return ((await response.json()) as { state: string }).state;
}

async function credentialCount(): Promise<number> {
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  return credentials.length;
}

/** "Done" on the recovery codes, once the tick says they are stored. */
async function storeRecoveryCodes(): Promise<void> {
  const codes = await page.getByTestId('recovery-code').allInnerTexts();
  assert.equal(codes.length, 10, 'a first second factor brings ten recovery codes');
  await page.getByTestId('recovery-codes-panel').getByLabel(t('recoveryCodes.stored'), { exact: true }).check();
  await page.getByTestId('recovery-codes-done').click();
}

async function openMySecurity(): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: t('nav.mySecurity'), exact: true }).click();
  await page.getByRole('heading', { level: 1, name: t('mySecurity.title') }).waitFor();
  await page.locator('[data-testid="passkeys-status"][data-count]').waitFor();
}

test('the owner signs up and sets up a passkey as the first second factor', async () => {
  await page.goto(`${baseUrl}/signup`);
  await submitSignUp(page, t, { ...practice, street: 'Sleutelstraat 8', postalCode: '3511 AB', city: 'Utrecht', country: 'NL', kind: 'general_practice', phone: '+31 30 123 4567', profession: 'General practitioner' });
  await page.goto(await linkFromOutbox(practice.owner.email, '/verify-email#token='));
  await page.getByTestId('verify-success').waitFor();

  await passwordStep(practice.owner.email, practice.owner.password);
  await page.getByTestId('enrolment-page').or(page.getByTestId('current-user')).waitFor();
  if (await page.getByTestId('enrolment-page').isVisible()) {
    // The practice requires a second factor: the passkey is offered as the recommended one.
    await page.getByTestId('enrolment-choose-passkey').click();
    await page.getByTestId('passkey-setup').waitFor();
    await shot(page, 'passkeys-01-enrolment');
    await page.getByTestId('passkey-name-input').fill('Praktijk laptop');
    await page.getByTestId('passkey-setup-submit').click();
    await page.getByTestId('passkey-setup-codes').waitFor();
    assert.match(await page.getByTestId('passkey-setup-confirmed').innerText(), new RegExp(escape(t('passkeys.setup.confirmedEnrolment'))));
    await shot(page, 'passkeys-02-enrolment-codes');
    await storeRecoveryCodes();
    await page.getByTestId('current-user').waitFor();
    await openMySecurity();
  } else {
    await openMySecurity();
    assert.equal(await page.getByTestId('passkeys-status').getAttribute('data-count'), '0');
    await shot(page, 'passkeys-01-my-security-none');
    await page.getByTestId('passkey-add').click();
    await page.getByTestId('passkey-setup').waitFor();
    // A name is needed to tell passkeys apart.
    await page.getByTestId('passkey-setup-submit').click();
    await page.getByText(t('validation.required'), { exact: true }).waitFor();
    await page.getByTestId('passkey-name-input').fill('Praktijk laptop');
    await shot(page, 'passkeys-02-add');
    await page.getByTestId('passkey-setup-submit').click();
    await page.getByTestId('passkey-setup-codes').waitFor();
    await storeRecoveryCodes();
  }
  assert.equal(await credentialCount(), 1, 'the device keeps one passkey for Haven');
  const item = page.getByTestId('passkey-item');
  await item.waitFor();
  assert.equal(await item.getByTestId('passkey-name').innerText(), 'Praktijk laptop');
  assert.equal(await page.getByTestId('passkeys-status').getAttribute('data-count'), '1');
  await shot(page, 'passkeys-03-my-security-one');
});

test('a device that keeps a passkey already is not registered twice', async () => {
  await page.getByTestId('passkey-add').click();
  await page.getByTestId('passkey-name-input').fill('Same laptop again');
  await page.getByTestId('passkey-setup-submit').click();
  const error = page.getByTestId('passkey-error');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-reason'), 'already_registered');
  await shot(page, 'passkeys-04-already-registered');
  await page.getByTestId('passkey-setup-cancel').click();
  assert.equal(await page.getByTestId('passkey-item').count(), 1);
});

test('the passkey can be renamed', async () => {
  await page.getByTestId('passkey-rename').click();
  const input = page.getByTestId('passkey-rename-input');
  await input.fill('Laptop spreekkamer');
  await page.getByTestId('passkey-rename-submit').click();
  await page.getByTestId('passkey-rename-dialog').waitFor({ state: 'detached' });
  await page.getByTestId('passkey-name').getByText('Laptop spreekkamer', { exact: true }).waitFor();
});

test('signing in with the password asks for the passkey next', async () => {
  await signOut();
  await passwordStep(practice.owner.email, practice.owner.password);
  const step = page.getByTestId('second-factor-form');
  await step.waitFor();
  assert.equal(await step.getAttribute('data-method'), 'passkey', 'the passkey is offered first');
  await page.getByTestId('second-factor-use-recovery').waitFor();
  await shot(page, 'passkeys-05-second-factor');
  await page.getByTestId('second-factor-passkey').click();
  await page.getByTestId('current-user').waitFor();
  assert.equal(await sessionState(), 'active');
});

test('signing in with the passkey alone, without the password', async () => {
  await signOut();
  await shot(page, 'passkeys-06-login');
  await page.getByTestId('login-passkey').click();
  await page.getByTestId('current-user').waitFor();
  await openMySecurity();
  assert.doesNotMatch(await page.getByTestId('passkey-last-used').innerText(), new RegExp(escape(t('passkeys.neverUsed'))));
});

test('a device that cannot verify the person, or holds no passkey, signs no one in and says why', async () => {
  await signOut();
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
  await page.getByTestId('login-passkey').click();
  const error = page.getByTestId('passkey-error');
  await error.waitFor();
  assert.match(await error.innerText(), new RegExp(escape(t('passkeys.browser.cancelled'))));
  await shot(page, 'passkeys-07-not-verified');
  assert.equal(await sessionState(), 'none');
  await page.getByTestId('login-form').waitFor();

  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
  await cdp.send('WebAuthn.clearCredentials', { authenticatorId });
  await page.getByTestId('login-passkey').click();
  await page.getByTestId('passkey-error').waitFor();
  assert.equal(await sessionState(), 'none');
  assert.equal(await page.getByTestId('current-user').count(), 0);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
