import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { answerWithApp, baseUrl, enrolAppAtFirstSignIn, launchBrowser, linkFromOutbox, messages, shot, submitSignUp, uniqueSuffix } from './support.ts';

/**
 * A trusted browser and a suspicious sign-in, as a practice owner meets them: after the second
 * factor the owner ticks "trust this browser", and the next sign-in there takes the password
 * alone. Then the same browser signs in "from Germany" — an address set through the test-only
 * header (HAVEN_TEST_CLIENT_ADDRESS_HEADER, refused in production): the trust is ignored, the
 * second factor is asked, and the sign-in is held until the link from the e-mail is opened (here
 * on a "phone", another browser). The waiting page notices by itself and goes on.
 */
const t = messages('en');
const id = uniqueSuffix();
const practice = { name: `Praktijk Het Kompas ${id}`, owner: { name: `Noor de Wit ${id}`, email: `noor-${id}@kompas.example`, password: `Harbour lantern ${id} meadow` } };
/** A Deutsche Telekom address: Germany in the bundled country database. */
const germanAddress = '80.152.0.1';
let browser: Browser;
const contexts: BrowserContext[] = [];

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
});

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'en-GB' });
  contexts.push(context);
  return context;
}

async function passwordStep(page: Page): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  const form = page.getByTestId('login-form');
  await form.getByLabel(t('fields.email'), { exact: true }).fill(practice.owner.email);
  await form.getByLabel(t('fields.password'), { exact: true }).fill(practice.owner.password);
  await form.getByRole('button', { name: t('login.submit') }).click();
}

async function signOut(page: Page): Promise<void> {
  await page.getByTestId('logout').click();
  await page.getByTestId('login-form').waitFor();
}

let laptop: BrowserContext;
let page: Page;
let secret = '';

test('the owner signs up and sets up an authenticator app at the first sign-in', async () => {
  laptop = await newContext();
  page = await laptop.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${baseUrl}/signup`);
  await submitSignUp(page, t, { ...practice, street: 'Kompasstraat 2', postalCode: '3511 AB', city: 'Utrecht', country: 'NL', kind: 'general_practice', phone: '+31 30 123 4567', profession: 'Psychologist' });
  await page.goto(await linkFromOutbox(practice.owner.email, '/verify-email#token='));
  await page.getByTestId('verify-success').waitFor();
  await passwordStep(page);
  secret = await enrolAppAtFirstSignIn(page, 'en', 'risky-01-enrolment');
  await page.getByTestId('current-user').waitFor();
});

test('trusting the browser: the next sign-in here asks for the password only', async () => {
  await signOut(page);
  await passwordStep(page);
  const step = page.getByTestId('second-factor-form');
  await step.waitFor();
  const trust = step.getByTestId('second-factor-trust');
  assert.match(await step.innerText(), new RegExp(t('devices.trustLabel_other', { count: '12' })));
  await trust.check();
  await shot(page, 'risky-02-trust-this-browser');
  await answerWithApp(page, secret);
  await page.getByTestId('current-user').waitFor();

  // The sessions page lists this browser as trusted.
  await page.goto(`${baseUrl}/sessions`);
  const row = page.locator('[data-testid="device-row"][data-current="true"]');
  await row.waitFor();
  assert.equal(await row.getAttribute('data-trusted'), 'true');
  await shot(page, 'risky-03-trusted-devices');

  await signOut(page);
  await passwordStep(page);
  await page.getByTestId('current-user').waitFor();
  assert.equal(await page.getByTestId('second-factor-form').count(), 0, 'no second factor asked on the trusted browser');
});

test('from another country the trust is ignored and the sign-in is held until the e-mail link is opened', async () => {
  await signOut(page);
  await laptop.setExtraHTTPHeaders({ 'x-haven-test-client-address': germanAddress });
  await passwordStep(page);
  // The trust does not count from a country this account has never signed in from.
  await answerWithApp(page, secret);
  const held = page.getByTestId('held-sign-in');
  await held.waitFor();
  assert.match(await held.innerText(), new RegExp(t('devices.held.title')));
  await shot(page, 'risky-04-held');
  assert.equal(await page.getByTestId('current-user').count(), 0, 'not signed in while held');

  // "I confirmed, continue" before confirming: not yet.
  await page.getByTestId('held-continue').click();
  await page.getByTestId('held-not-yet').waitFor();

  // The link from the outbox, opened on the "phone".
  const link = await linkFromOutbox(practice.owner.email, '/confirm-sign-in#token=');
  const phone = await (await newContext()).newPage();
  await phone.goto(link);
  await phone.getByTestId('confirm-sign-in-success').waitFor();
  await shot(phone, 'risky-05-confirmed-on-phone');

  // The waiting browser notices by itself and is signed in.
  await page.getByTestId('current-user').waitFor();
  await shot(page, 'risky-06-signed-in');

  // The link works once.
  const again = await (await newContext()).newPage();
  await again.goto(link);
  await again.getByTestId('confirm-sign-in-failed').waitFor();
});
