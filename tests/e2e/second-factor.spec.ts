import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { readOutbox } from '../../apps/server/src/cli/outbox.ts';
import { baseUrl, connectApp as connectAppWithCode, freshCode, launchBrowser, linkFromOutbox, messages, readyAfterStepUp, shot, submitSignUp, uniqueSuffix, wrongCode } from './support.ts';

/**
 * Two-factor sign-in, as a practice owner and a new colleague meet it: a new practice requires
 * a second factor, so the owner sets up an authenticator app at the first sign-in (QR code,
 * setup key, first code, ten recovery codes shown once), signs in with password + code, then
 * with a recovery code (9 left), and makes a new set after confirming it's them (step-up). The
 * security settings show the rule on; an invited practitioner lands in the setup at their first
 * sign-in and can reach nothing else until it is done; when they lose the phone, the owner
 * resets their factors after checking it is them, and the next sign-in starts a new setup.
 *
 * Codes are computed here from the setup key the page shows (RFC 6238, as a phone app would), on
 * the real clock: a code works once per 30-second step, so a second sign-in with the same key
 * waits for the next step.
 */
const t = messages('en');
const id = uniqueSuffix();
const practice = { name: `Praktijk De Meridiaan ${id}`, owner: { name: `Lotte Visser ${id}`, email: `lotte-${id}@meridiaan.example`, password: `Compass meadow ${id} lantern` } };
const practitioner = { name: `Daan Kok ${id}`, email: `daan-${id}@meridiaan.example`, password: `Pebble orchard ${id} violin` };
let browser: Browser;
const contexts: BrowserContext[] = [];

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-GB', acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

// ---------- steps ----------
async function passwordStep(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  const form = page.getByTestId('login-form');
  await form.getByLabel(t('fields.email'), { exact: true }).fill(email);
  await form.getByLabel(t('fields.password'), { exact: true }).fill(password);
  await form.getByRole('button', { name: t('login.submit') }).click();
}

async function signOut(page: Page): Promise<void> {
  await page.getByTestId('logout').click();
  await page.getByTestId('login-form').waitFor();
}

async function openMySecurity(page: Page): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: t('nav.mySecurity'), exact: true }).click();
  await page.getByRole('heading', { level: 1, name: t('mySecurity.title') }).waitFor();
  await page.getByTestId('totp-status').waitFor();
}

/** Steps 1 and 2 of the setup: reads the key from the page and confirms with its first code. */
const connectApp = (page: Page, shotPrefix: string): Promise<string> => connectAppWithCode(page, shotPrefix, t('secondFactor.totpLabel'));

/** Step 3: the ten codes, shown once; "Done" needs the tick. */
async function storeRecoveryCodes(page: Page, shotName: string): Promise<string[]> {
  const codes = await page.getByTestId('recovery-code').allInnerTexts();
  assert.equal(codes.length, 10, 'ten recovery codes');
  for (const code of codes) assert.match(code, /^([0-9A-Z]{4}-){6}[0-9A-Z]{4}$/, `seven groups of four (${code})`);
  assert.equal(new Set(codes).size, 10, 'all different');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('recovery-codes-download').click()]);
  assert.equal(download.suggestedFilename(), 'haven-recovery-codes.txt');
  const text = await readFile((await download.path()) ?? '', 'utf8');
  for (const code of codes) assert.ok(text.includes(code), 'the downloaded file holds every code');
  await shot(page, shotName);

  const done = page.getByTestId('recovery-codes-done');
  await done.click();
  await page.getByText(t('recoveryCodes.storedRequired'), { exact: true }).waitFor();
  await page.getByTestId('recovery-codes-panel').getByLabel(t('recoveryCodes.stored'), { exact: true }).check();
  await done.click();
  return codes;
}

// ---------- the owner ----------
let owner: Page;
let ownerSecret = '';
let recoveryCodes: string[] = [];

test('the owner signs up and is asked for a second factor at the first sign-in: QR code and key, a first code, ten recovery codes shown once', async () => {
  owner = await newPage();
  await owner.goto(`${baseUrl}/signup`);
  await submitSignUp(owner, t, { ...practice, street: 'Meridiaanweg 4', postalCode: '6811 AB', city: 'Arnhem', country: 'NL', kind: 'general_practice', phone: '+31 26 123 4567', profession: 'General practitioner' });
  await owner.goto(await linkFromOutbox(practice.owner.email, '/verify-email#token='));
  await owner.getByTestId('verify-success').waitFor();

  // A new practice requires a second factor: the first sign-in leads to its setup, nowhere else.
  await passwordStep(owner, practice.owner.email, practice.owner.password);
  await owner.getByTestId('enrolment-page').waitFor();
  assert.equal(new URL(owner.url()).pathname, '/security/setup');
  assert.equal(await owner.getByTestId('current-user').count(), 0, 'not signed in yet');
  await shot(owner, '2fa-01-enrolment');
  await owner.getByTestId('enrolment-choose-totp').click();
  ownerSecret = await connectApp(owner, '2fa-02-setup');
  assert.match(await owner.getByTestId('totp-setup-confirmed').innerText(), new RegExp(escape(t('totpSetup.codes.confirmedEnrolment'))));
  recoveryCodes = await storeRecoveryCodes(owner, '2fa-02-setup-3-codes');
  await owner.getByTestId('current-user').waitFor();

  await openMySecurity(owner);
  await owner.locator('[data-testid="totp-status"][data-state="on"]').waitFor();
  assert.equal(await owner.getByTestId('recovery-remaining').getAttribute('data-remaining'), '10');
  assert.match(await owner.getByTestId('totp-confirmed-at').innerText(), /^Set up on /);
  assert.match(await owner.getByTestId('my-security').innerText(), new RegExp(escape(t('mySecurity.why.title'))));
  await shot(owner, '2fa-03-my-security-on');
});

test('signing in now asks for the code; a wrong one is refused in words, the right one signs in', async () => {
  await signOut(owner);
  await passwordStep(owner, practice.owner.email, practice.owner.password);
  const step = owner.getByTestId('second-factor-form');
  await step.waitFor();
  const input = step.getByLabel(t('secondFactor.totpLabel'), { exact: true });
  assert.equal(await input.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await input.getAttribute('inputmode'), 'numeric');
  assert.ok(await input.evaluate((element) => element === document.activeElement), 'the code field has the focus');
  assert.equal(await owner.getByTestId('current-user').count(), 0, 'not signed in yet');
  await shot(owner, '2fa-04-login-code');

  await input.fill(wrongCode(ownerSecret));
  await input.press('Enter');
  const error = owner.getByTestId('error-alert');
  await error.waitFor();
  assert.match(await error.innerText(), new RegExp(escape(t('errors.SECOND_FACTOR_INVALID'))));
  assert.equal(await input.inputValue(), '', 'the form stays, emptied for the next try');

  await input.fill(await freshCode(ownerSecret));
  await input.press('Enter');
  await owner.getByTestId('current-user').waitFor();
});

test('"Cancel" at the code goes back to the password and signs the half-finished sign-in out', async () => {
  await signOut(owner);
  await passwordStep(owner, practice.owner.email, practice.owner.password);
  await owner.getByTestId('second-factor-form').waitFor();
  const [logout] = await Promise.all([
    owner.waitForResponse((response) => response.url().endsWith('/api/v1/auth/logout') && response.request().method() === 'POST'),
    owner.getByTestId('second-factor-cancel').click(),
  ]);
  assert.equal(logout.status(), 204);
  await owner.getByTestId('login-form').waitFor();
  assert.equal((await (await owner.request.get(`${baseUrl}/api/v1/auth/session`)).json()).state, 'none');
});

test('a reload keeps the code step; a recovery code (typed without hyphens) signs in, and 9 are left', async () => {
  await passwordStep(owner, practice.owner.email, practice.owner.password);
  const step = owner.getByTestId('second-factor-form');
  await step.waitFor();
  // The password was right, the code is still owed: after a reload the login continues at the code.
  await owner.reload();
  await step.waitFor();
  assert.equal(await owner.getByTestId('login-form').count(), 0);
  // The page asks the server what the step offers: this account's own ways, and trusting the browser.
  await step.getByTestId('second-factor-trust').waitFor();
  assert.equal(await step.getByTestId('second-factor-use-passkey').count(), 0, 'no passkey offered to an account without one');
  await step.getByTestId('second-factor-use-recovery').click();
  const input = step.getByLabel(t('secondFactor.recoveryLabel'), { exact: true });
  await input.waitFor();
  await shot(owner, '2fa-05-login-recovery');
  await input.fill(recoveryCodes[0]!.replaceAll('-', '').toLowerCase());
  await input.press('Enter');
  await owner.getByTestId('current-user').waitFor();

  await openMySecurity(owner);
  assert.equal(await owner.getByTestId('recovery-remaining').getAttribute('data-remaining'), '9');
  assert.equal(await owner.getByTestId('recovery-low-warning').count(), 0);
});

test('new recovery codes need "Confirm it\'s you"; after it the action goes through by itself', async () => {
  // The server asks for step-up when the last proof is older than five minutes (its own tests
  // cover that window). Here the first answer to the action is made to say so, as it would
  // after a long pause; the confirmation and the repeated action are the real ones.
  let intercepted = 0;
  await owner.route('**/api/v1/me/recovery-codes', async (route) => {
    if (intercepted > 0 || route.request().method() !== 'POST') return route.continue();
    intercepted += 1;
    await route.fulfill({
      status: 403,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'STEP_UP_REQUIRED', message: 'Confirm it is you with your second factor to do this.', requestId: 'e2e' } }),
    });
  });

  await owner.getByTestId('recovery-regenerate').click();
  const confirm = owner.getByTestId('recovery-regenerate-dialog');
  await confirm.waitFor();
  assert.match(await confirm.innerText(), new RegExp(escape(t('mySecurity.codes.regenerateBody'))));
  await confirm.getByTestId('recovery-regenerate-confirm').click();

  const stepUp = owner.getByTestId('step-up-dialog');
  await stepUp.waitFor();
  assert.equal(intercepted, 1);
  assert.equal(await stepUp.getAttribute('data-method'), 'totp', 'an account with an app is asked for its code');
  await owner.getByRole('dialog', { name: t('stepUp.title') }).waitFor();
  await shot(owner, '2fa-06-step-up');

  // A wrong code: refused in words, the dialog stays.
  const codeInput = stepUp.getByLabel(t('secondFactor.totpLabel'), { exact: true });
  await codeInput.fill(wrongCode(ownerSecret));
  await stepUp.getByTestId('step-up-submit').click();
  await stepUp.getByTestId('error-alert').getByText(t('errors.SECOND_FACTOR_INVALID')).waitFor();

  // A recovery code instead; then the new set comes without another click.
  await stepUp.getByTestId('step-up-switch').click();
  await stepUp.getByLabel(t('secondFactor.recoveryLabel'), { exact: true }).fill(recoveryCodes[1]!);
  const [stepUpAnswer, regenerated] = await Promise.all([
    owner.waitForResponse((response) => response.url().endsWith('/api/v1/auth/step-up')),
    owner.waitForResponse((response) => response.url().endsWith('/api/v1/me/recovery-codes') && response.status() === 200),
    stepUp.getByTestId('step-up-submit').click(),
  ]);
  assert.equal(stepUpAnswer.status(), 200);
  assert.equal(regenerated.status(), 200);
  await stepUp.waitFor({ state: 'hidden' });
  await owner.getByTestId('recovery-codes').waitFor();
  const fresh = await storeRecoveryCodes(owner, '2fa-07-new-codes');
  assert.ok(fresh.every((code) => !recoveryCodes.includes(code)), 'a whole new set');
  recoveryCodes = fresh;
  await owner.getByTestId('recovery-regenerate').waitFor();
  assert.equal(await owner.getByTestId('recovery-remaining').getAttribute('data-remaining'), '10');
  await owner.unroute('**/api/v1/me/recovery-codes');
});

// ---------- the practice requires it ----------
test('the security settings show two-factor authentication required for all staff; the owner invites a practitioner', async () => {
  await owner.getByRole('navigation').getByRole('link', { name: t('nav.security'), exact: true }).click();
  const policy = owner.getByTestId('security-policy-form');
  const toggle = policy.getByLabel(t('security.secondFactor.label'), { exact: true });
  await toggle.waitFor();
  assert.equal(await toggle.isChecked(), true, 'on by default');
  assert.equal(await owner.getByTestId('second-factor-own-missing').count(), 0, 'the owner has an app already');
  await shot(owner, '2fa-08-policy');

  await owner.getByRole('navigation').getByRole('link', { name: t('nav.staff'), exact: true }).click();
  const invite = owner.getByTestId('invite-form');
  await invite.getByLabel(t('fields.email'), { exact: true }).fill(practitioner.email);
  await invite.getByLabel(t('staff.invitations.role'), { exact: true }).selectOption('practitioner');
  await invite.getByRole('button', { name: t('staff.invitations.send') }).click();
  await owner.getByTestId('invitation-row').filter({ hasText: practitioner.email }).waitFor();
});

test('the owner limits staff to the practice networks, and is stopped before locking themselves out', async () => {
  await owner.getByRole('navigation').getByRole('link', { name: t('nav.security'), exact: true }).click();
  const policy = owner.getByTestId('security-policy-form');
  const list = policy.getByLabel(t('security.network.label'), { exact: true });
  await list.waitFor();
  assert.equal(await list.inputValue(), '', 'no restriction by default');
  await owner.getByText(t('security.network.empty')).waitFor();

  // A typo is named as typed.
  await list.fill('192.0.2.0/24\nreception-pc');
  await policy.getByRole('button', { name: t('common.saveChanges') }).click();
  await policy.getByText(t('security.network.invalid', { entries: 'reception-pc' })).waitFor();

  // This browser connects from 127.0.0.1, which the list leaves out: the page asks first.
  await list.fill('192.0.2.0/24');
  await policy.getByRole('button', { name: t('common.saveChanges') }).click();
  const confirm = owner.getByRole('dialog', { name: t('security.network.confirmTitle') });
  await confirm.waitFor();
  await shot(owner, '2fa-08b-allowlist-confirm');
  await confirm.getByRole('button', { name: t('security.network.confirmBack') }).click();
  await confirm.waitFor({ state: 'hidden' });
  await owner.reload();
  await owner.getByTestId('security-policy-form').getByLabel(t('security.network.label'), { exact: true }).waitFor();
  assert.equal(await owner.getByTestId('security-policy-form').getByLabel(t('security.network.label'), { exact: true }).inputValue(), '', 'nothing was saved');

  // With its own address in it, the list saves at once, in one spelling.
  const reloaded = owner.getByTestId('security-policy-form').getByLabel(t('security.network.label'), { exact: true });
  await reloaded.fill('127.0.0.1\n::1\n2001:DB8:0:0::/48');
  await owner.getByTestId('security-policy-form').getByRole('button', { name: t('common.saveChanges') }).click();
  // The field shows what the server stored once the save is through.
  const stored = '127.0.0.1/32\n::1/128\n2001:db8::/48';
  for (let tries = 0; (await reloaded.inputValue()) !== stored && tries < 100; tries += 1) await owner.waitForTimeout(100);
  assert.equal(await reloaded.inputValue(), stored);
  await owner.getByText(t('security.network.active_other', { count: '3' })).waitFor();
  await shot(owner, '2fa-08c-allowlist');
  // Still working: the next page loads.
  await owner.getByRole('navigation').getByRole('link', { name: t('nav.staff'), exact: true }).click();
  await owner.getByTestId('invite-form').waitFor();
  // Lifted again for the rest of the story.
  await owner.getByRole('navigation').getByRole('link', { name: t('nav.security'), exact: true }).click();
  await owner.getByTestId('security-policy-form').getByLabel(t('security.network.label'), { exact: true }).fill('');
  await owner.getByTestId('security-policy-form').getByRole('button', { name: t('common.saveChanges') }).click();
  await owner.getByText(t('security.network.empty')).waitFor();
});

test('the practitioner lands in the setup at first sign-in, can reach nothing else, and is in once done', async () => {
  const page = await newPage();
  // Haven opened once before, so the CSRF cookie is set: in a brand-new browser the session check
  // and lib/api.ts's cookie priming are two cookie-less GETs that may each set a different cookie
  // while the invitation preview POST is on its way (an occasional CSRF_REJECTED).
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-form').waitFor();
  await page.goto(await linkFromOutbox(practitioner.email, '/accept-invitation#token='));
  const join = page.getByTestId('accept-invitation-form');
  await join.getByLabel(t('fields.fullName'), { exact: true }).fill(practitioner.name);
  await join.getByLabel(t('fields.password'), { exact: true }).fill(practitioner.password);
  await join.getByRole('button', { name: t('accept.submit', { organisation: practice.name }) }).click();
  await page.getByTestId('login-notice').waitFor();

  await passwordStep(page, practitioner.email, practitioner.password);
  await page.getByTestId('enrolment-page').waitFor();
  assert.equal(new URL(page.url()).pathname, '/security/setup');
  assert.equal(await page.getByRole('navigation').count(), 0, 'no navigation while the setup is owed');
  assert.equal(await page.getByTestId('organisation-name').count(), 0);
  await page.getByTestId('totp-qr').waitFor();
  await shot(page, '2fa-09-enrolment');

  // Neither links nor a reload lead elsewhere; the server refuses the same.
  for (const path of ['/staff', '/organisation/files', '/profile']) {
    await page.goto(`${baseUrl}${path}`);
    await page.getByTestId('enrolment-page').waitFor();
    assert.equal(new URL(page.url()).pathname, '/security/setup', `${path} leads back to the setup`);
  }
  const blocked = await page.request.get(`${baseUrl}/api/v1/organisation/files`);
  assert.equal(blocked.status(), 403);
  assert.equal((await blocked.json()).error.code, 'ENROLMENT_REQUIRED');

  await connectApp(page, '2fa-10-enrolment');
  assert.match(await page.getByTestId('totp-setup-confirmed').innerText(), new RegExp(escape(t('totpSetup.codes.confirmedEnrolment'))));
  await storeRecoveryCodes(page, '2fa-10-enrolment-3-codes');

  // In, at the page last asked for.
  await page.getByTestId('organisation-name').waitFor();
  assert.equal(new URL(page.url()).pathname, '/profile');
  await openMySecurity(page);
  await page.locator('[data-testid="totp-status"][data-state="on"]').waitFor();
  await page.getByTestId('security-required-notice').waitFor();
  assert.match(await page.getByTestId('security-required-notice').innerText(), new RegExp(escape(t('mySecurity.requiredWithApp'))));
  await shot(page, '2fa-11-practitioner-in');
});

test('the practitioner lost the phone: the owner resets their second factors after checking it is them, and they set up a new one', async () => {
  // Loaded afresh: the list the owner saw a few seconds ago did not have the practitioner yet.
  await owner.goto(`${baseUrl}/staff`);
  const row = owner.getByTestId('member-row').filter({ hasText: practitioner.email });
  await row.getByTestId('member-reset-factors').click();
  const dialog = owner.getByTestId('reset-factors-dialog');
  await dialog.waitFor();
  assert.match(await dialog.innerText(), new RegExp(escape(t('staff.members.resetFactorsBody', { name: practitioner.name }))), 'the dialog says what happens, by name');
  // Saying how the identity was checked is not optional.
  await dialog.getByTestId('reset-factors-confirm').click();
  await dialog.getByText(t('staff.members.resetFactorsCheckMissing')).waitFor();
  await dialog.getByLabel(t('staff.members.resetFactorsChecks.video_call'), { exact: true }).check();
  await shot(owner, '2fa-12-reset-dialog');
  await dialog.getByTestId('reset-factors-confirm').click();
  // "Confirm it's you" when the owner's last proof is older than five minutes.
  await readyAfterStepUp(owner, owner.getByText(t('staff.members.resetFactorsDone', { name: practitioner.name })), ownerSecret);
  await dialog.waitFor({ state: 'hidden' });

  // The practitioner is told, and signing in with the password leads to a new setup.
  const mail = await linkFromOutboxOrNull(practitioner.email);
  assert.ok(mail, 'the practitioner gets an e-mail about the reset');
  const page = await newPage();
  await passwordStep(page, practitioner.email, practitioner.password);
  await page.getByTestId('enrolment-page').waitFor();
  assert.equal(new URL(page.url()).pathname, '/security/setup');
  await shot(page, '2fa-13-after-reset');
});

/** The reset notice in the outbox (it has no link), or null. */
async function linkFromOutboxOrNull(to: string): Promise<{ subject: string } | null> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const mail = readOutbox(path.join(process.env.HAVEN_E2E_DATA_DIR ?? './data', 'outbox', 'mail'), 50).find((entry) => entry.to === to && entry.subject === 'Your Haven sign-in factors were reset');
    if (mail) return mail;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return null;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
