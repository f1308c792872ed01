import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { readOutbox } from '../../apps/server/src/cli/outbox.ts';
import { baseUrl, enrolAppAtFirstSignIn, launchBrowser, linkFromOutbox, messages, shot, uniqueSuffix } from './support.ts';

/** The same sign-up in German: German form, German e-mail, German app after signing in. */
const de = messages('de');
const id = uniqueSuffix();
const owner = { email: `praxis-${id}@beispiel.example`, password: `Rheinufer Abendlicht ${id}` };
let browser: Browser;

before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

test('signs up, verifies and signs in entirely in German', async () => {
  // A tablet-sized window: German compound words must wrap, not spill out of cards.
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 900, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${baseUrl}/signup`);
  await page.getByTestId('language-switcher').selectOption('de');
  await page.waitForFunction(() => document.documentElement.lang === 'de');

  const form = page.getByTestId('signup-form');
  await form.getByLabel(de('fields.practiceName'), { exact: true }).fill(`Praxis am Rhein ${id}`);
  await form.getByLabel(de('fields.street'), { exact: true }).fill('Rheinstraße 5');
  await form.getByLabel(de('fields.postalCode'), { exact: true }).fill('50667');
  await form.getByLabel(de('fields.city'), { exact: true }).fill('Köln');
  await form.getByLabel(de('fields.country'), { exact: true }).selectOption('DE');
  await form.getByLabel(de('fields.practiceKind'), { exact: true }).selectOption('physiotherapy');
  await form.getByLabel(de('fields.fullName'), { exact: true }).fill(`Jonas Becker ${id}`);
  await form.getByLabel(de('fields.email'), { exact: true }).fill(owner.email);
  await form.getByLabel(de('fields.phone'), { exact: true }).fill('+49 221 123456');
  await form.getByLabel(de('fields.profession'), { exact: true }).fill('Physiotherapeut');
  await form.getByLabel(de('fields.password'), { exact: true }).fill(owner.password);
  await form.getByRole('checkbox').nth(0).check();
  await form.getByRole('checkbox').nth(1).check();
  await shot(page, 'de-01-signup');
  await form.getByRole('button', { name: de('signup.submit') }).click();
  await page.getByTestId('signup-done').waitFor();
  assert.match(await page.getByTestId('signup-done').innerText(), new RegExp(de('signup.done.title')));

  const link = await linkFromOutbox(owner.email, '/verify-email#token=');
  const mail = readOutbox(path.join(process.env.HAVEN_E2E_DATA_DIR ?? './data', 'outbox', 'mail'), 50).find((entry) => entry.to === owner.email);
  assert.match(mail!.subject, /Bestätigen Sie Ihre E-Mail-Adresse/, 'the e-mail is in German');

  await page.goto(link);
  await page.getByTestId('verify-success').waitFor();
  await page.goto(`${baseUrl}/login`);
  const login = page.getByTestId('login-form');
  await login.getByLabel(de('fields.email'), { exact: true }).fill(owner.email);
  await login.getByLabel(de('fields.password'), { exact: true }).fill(owner.password);
  await login.getByRole('button', { name: de('login.submit') }).click();
  // The practice requires a second factor: its setup comes first, in German too.
  await page.getByTestId('enrolment-page').waitFor();
  assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), de('enrolment.title'));
  await shot(page, 'de-01b-enrolment');
  await enrolAppAtFirstSignIn(page, 'de', 'de-01c-app');
  await page.getByTestId('current-user').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
  assert.ok(await page.getByRole('link', { name: de('nav.sessions') }).first().isVisible(), 'navigation is in German');
  const spilling = await page.locator('.mantine-Card-root, .shortcut').evaluateAll((cards) => cards.filter((card) => card.scrollWidth > card.clientWidth + 1).length);
  assert.equal(spilling, 0, 'no card content spills out at tablet width');
  await shot(page, 'de-02-home');
  await context.close();
});
