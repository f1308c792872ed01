import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { readOutbox } from '../../apps/server/src/cli/outbox.ts';
import { readSmsOutbox } from '../../apps/server/src/core/sms/outbox-sms-gateway.ts';
import { baseUrl, enrolAppAtFirstSignIn, launchBrowser, linkFromOutbox, messages, readyAfterStepUp, shot, submitSignUp, uniqueSuffix } from './support.ts';

/**
 * Codes by e-mail and by SMS, as a practice owner meets them: the practice turns e-mail codes on
 * (off by default), the owner turns them on in My security with a first code from the mailbox and
 * signs in with a mailed code; then adds a phone, verified by a first text message, and signs in
 * with a code by SMS. Mail and SMS are read from the outboxes (`npx haven outbox`).
 */
const t = messages('en');
const id = uniqueSuffix();
const dataDir = process.env.HAVEN_E2E_DATA_DIR ?? './data';
const owner = { name: `Sanne Bakker ${id}`, email: `sanne-${id}@kompas.example`, password: `Harbour lantern ${id} tulip` };
const mobile = '+31 6 2345 6789';
const mobileE164 = '+31623456789';
let browser: Browser;
const contexts: BrowserContext[] = [];
let page: Page;
let appSecret = '';

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
  const created = await context.newPage();
  created.setDefaultTimeout(15_000);
  return created;
}

/** Waits for a code mail to `to` newer than `since` and returns its six digits (from the .eml). */
async function mailedCode(to: string, since: number): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const entry = readOutbox(path.join(dataDir, 'outbox', 'mail'), 50).find((mail) => mail.to === to && mail.template === 'second_factor_code' && Date.parse(mail.sentAt) >= since);
    if (entry) {
      // Quoted-printable may break long lines ("=\r\n"); the code itself has no characters to escape.
      const text = readFileSync(entry.file, 'utf8').replace(/=\r?\n/g, '');
      const code = /code: (\d{6})/.exec(text)?.[1];
      if (code) return code;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no code mailed to ${to}`);
}

/** Waits for an SMS to `to` of `purpose` newer than `since` and returns its code. */
async function textedCode(to: string, purpose: string, since: number): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const entry = readSmsOutbox(path.join(dataDir, 'outbox', 'sms'), 50)
      .reverse()
      .find((sms) => sms.to === to && sms.purpose === purpose && Date.parse(sms.createdAt) >= since);
    const code = entry ? /(\d{6})/.exec(entry.text)?.[1] : undefined;
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no ${purpose} SMS to ${to}`);
}

async function passwordStep(target: Page): Promise<void> {
  await target.goto(`${baseUrl}/login`);
  const form = target.getByTestId('login-form');
  await form.getByLabel(t('fields.email'), { exact: true }).fill(owner.email);
  await form.getByLabel(t('fields.password'), { exact: true }).fill(owner.password);
  await form.getByRole('button', { name: t('login.submit') }).click();
}

async function openMySecurity(target: Page): Promise<void> {
  await target.getByRole('navigation').getByRole('link', { name: t('nav.mySecurity'), exact: true }).click();
  await target.getByRole('heading', { level: 1, name: t('mySecurity.title') }).waitFor();
  await target.getByTestId('totp-status').waitFor();
}

async function signOut(target: Page): Promise<void> {
  await target.getByTestId('logout').click();
  await target.getByTestId('login-form').waitFor();
}

test('a new practice: the owner signs up and sets up the app; e-mail codes are not offered until the practice allows them', async () => {
  page = await newPage();
  await page.goto(`${baseUrl}/signup`);
  await submitSignUp(page, t, { name: `Praktijk Het Kompas ${id}`, owner, street: 'Kompasstraat 2', postalCode: '3511 AB', city: 'Utrecht', country: 'NL', kind: 'psychotherapy', phone: '+31 30 123 4567', profession: 'Psychologist' });
  await page.goto(await linkFromOutbox(owner.email, '/verify-email#token='));
  await page.getByTestId('verify-success').waitFor();

  await passwordStep(page);
  // The setup offers the kinds the practice allows: SMS yes, e-mail codes not (off by default).
  await page.getByTestId('enrolment-page').waitFor();
  await page.getByTestId('enrolment-choose-sms').waitFor();
  assert.equal(await page.getByTestId('enrolment-choose-email').count(), 0, 'e-mail codes are off by default');
  appSecret = await enrolAppAtFirstSignIn(page, 'en', 'codes-01-enrol');
  await page.getByTestId('current-user').waitFor();

  await openMySecurity(page);
  await page.getByTestId('sms-status').waitFor();
  assert.equal(await page.getByTestId('email_code-status').count(), 0);
});

test('the practice allows e-mail codes for its staff; the settings explain each kind', async () => {
  await page.getByRole('navigation').getByRole('link', { name: t('nav.security'), exact: true }).click();
  const policy = page.getByTestId('security-policy-form');
  const factors = policy.getByTestId('allowed-factors');
  await factors.waitFor();
  assert.equal(await factors.getByTestId('allowed-staff-sms').isChecked(), true);
  assert.equal(await factors.getByTestId('allowed-staff-email_code').isChecked(), false);
  assert.match(await factors.innerText(), new RegExp(escape(t('codeFactors.policy.emailHint'))));

  // Without passkeys and the app the page says why it will not save.
  await factors.getByTestId('allowed-staff-passkey').uncheck();
  await factors.getByTestId('allowed-staff-totp').uncheck();
  await page.getByTestId('allowed-factors-too-weak').waitFor();
  await factors.getByTestId('allowed-staff-passkey').check();
  await factors.getByTestId('allowed-staff-totp').check();

  await factors.getByTestId('allowed-staff-email_code').check();
  await shot(page, 'codes-02-policy');
  await policy.getByRole('button', { name: t('common.saveChanges') }).click();
  await readyAfterStepUp(page, page.getByText(t('security.saved')), appSecret);
});

test('the owner turns on e-mail codes with a first code from the mailbox', async () => {
  await openMySecurity(page);
  const card = page.getByTestId('email_code-status');
  await card.waitFor();
  assert.equal(await card.getAttribute('data-state'), 'off');
  await card.getByTestId('email_code-add').click();
  // The weakest option says so before anything is sent.
  await card.getByTestId('email_code-risk').waitFor();
  assert.match(await card.getByTestId('email_code-risk').innerText(), new RegExp(escape(t('codeFactors.emailRisk'))));
  const since = Date.now() - 1000;
  await card.getByTestId('email_code-setup-send').click();
  await readyAfterStepUp(page, card.getByTestId('sent-code-destination'), appSecret);
  assert.match(await card.getByTestId('sent-code-destination').innerText(), /s\*\*\*@kompas\.example/);
  // "Send again" waits out its 30 seconds.
  await card.getByTestId('sent-code-countdown').waitFor();
  await shot(page, 'codes-03-email-setup');
  await card.locator('input[autocomplete="one-time-code"]').fill(await mailedCode(owner.email, since));
  await card.getByTestId('email_code-setup-confirm').click();
  await page.locator('[data-testid="email_code-status"][data-state="on"]').waitFor();
});

test('signing in with a code by e-mail, read from the outbox', async () => {
  await signOut(page);
  await passwordStep(page);
  const step = page.getByTestId('second-factor-form');
  await step.waitFor();
  const since = Date.now() - 1000;
  await step.getByTestId('second-factor-use-email').click();
  await step.getByTestId('sent-code-destination').waitFor();
  assert.equal(await step.getAttribute('data-method'), 'email_code');
  await shot(page, 'codes-04-login-email');
  const input = step.locator('input[autocomplete="one-time-code"]');
  await input.fill(await mailedCode(owner.email, since));
  await input.press('Enter');
  await page.getByTestId('current-user').waitFor();
});

test('the owner adds a phone, verified by a first text message', async () => {
  await openMySecurity(page);
  const card = page.getByTestId('sms-status');
  await card.getByTestId('sms-add').click();
  await card.getByTestId('sms-risk').waitFor();
  // A landline cannot receive the code: refused in words, nothing sent.
  await card.getByTestId('phone-input').fill('+31 30 123 4567');
  await card.getByTestId('sms-setup-send').click();
  await readyAfterStepUp(page, card.getByText(t('errors.PHONE_NUMBER_INVALID')), appSecret);
  const since = Date.now() - 1000;
  await card.getByTestId('phone-input').fill(mobile);
  await card.getByTestId('sms-setup-send').click();
  await card.getByTestId('sent-code-destination').waitFor();
  assert.match(await card.getByTestId('sent-code-destination').innerText(), /\+31 6 •••• ••89/);
  await card.locator('input[autocomplete="one-time-code"]').fill(await textedCode(mobileE164, 'verify_phone', since));
  await card.getByTestId('sms-setup-confirm').click();
  await page.locator('[data-testid="sms-status"][data-state="on"]').waitFor();
  assert.match(await page.getByTestId('sms-number').innerText(), /\+31 6 •••• ••89/);
  await shot(page, 'codes-05-my-security');
});

test('signing in with a code by SMS, read from the SMS outbox', async () => {
  await signOut(page);
  await passwordStep(page);
  const step = page.getByTestId('second-factor-form');
  await step.waitFor();
  const since = Date.now() - 1000;
  await step.getByTestId('second-factor-use-sms').click();
  await step.getByTestId('sent-code-destination').waitFor();
  assert.match(await step.getByTestId('sent-code-destination').innerText(), /\+31 6 •••• ••89/);
  await shot(page, 'codes-06-login-sms');
  const input = step.locator('input[autocomplete="one-time-code"]');
  await input.fill(await textedCode(mobileE164, 'login_code', since));
  await input.press('Enter');
  await page.getByTestId('current-user').waitFor();
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
