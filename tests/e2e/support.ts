import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Secret, TOTP } from 'otpauth';
import { test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { readOutbox } from '../../apps/server/src/cli/outbox.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const baseUrl = process.env.HAVEN_E2E_URL ?? 'http://127.0.0.1:8080';
const dataDir = process.env.HAVEN_E2E_DATA_DIR ?? './data';
export const screenshotDir = process.env.HAVEN_E2E_SCREENSHOTS ?? mkdtempSync(path.join(os.tmpdir(), 'haven-shots-'));

/** Debian's Chromium, headless, with the flags a closed network and root need. Never downloads a browser. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Waits for the newest e-mail to `to` in the outbox (what `npx haven outbox` shows) and returns its link. */
export async function linkFromOutbox(to: string, pathPrefix: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const entry = readOutbox(path.join(dataDir, 'outbox', 'mail'), 50).find((mail) => mail.to === to && mail.links.some((link) => link.includes(pathPrefix)));
    const link = entry?.links.find((candidate) => candidate.includes(pathPrefix));
    if (link) return link;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no mail to ${to} with a ${pathPrefix} link`);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

export const uniqueSuffix = (): string => Math.random().toString(36).slice(2, 8);

/**
 * `test`, but a failing step first takes a screenshot of each page the spec has open
 * (`<prefix>-failed-<n>-<page>.png`), so what the browser showed can be looked at afterwards.
 */
export function testShowingFailures(prefix: string, pages: () => Array<Page | undefined>): (name: string, fn: () => Promise<void>) => void {
  let failures = 0;
  return (name, fn) =>
    void test(name, async () => {
      try {
        await fn();
      } catch (error) {
        failures += 1;
        // What each page showed goes into the failure itself too, so a CI log (where the
        // screenshots are out of reach) still tells a hanging page from a wrong one.
        const seen: string[] = [];
        for (const [index, page] of pages().entries()) {
          if (!page || page.isClosed()) continue;
          await shot(page, `${prefix}-failed-${failures}-${index}`).catch(() => undefined);
          const text = await page.locator('body').innerText({ timeout: 2_000 }).catch(() => '(no text)');
          seen.push(`page ${index} at ${new URL(page.url()).pathname}: ${text.replace(/\s+/g, ' ').slice(0, 400)}`);
        }
        if (error instanceof Error && seen.length > 0) error.message += `\n${seen.join('\n')}`;
        throw error;
      }
    });
}

/** The web app's own texts, so specs find fields by the labels people read, in each language. */
export function messages(locale: 'en' | 'de' | 'nl'): (key: string, params?: Record<string, string>) => string {
  const tree = JSON.parse(readFileSync(path.resolve(here, `../../apps/web/src/i18n/${locale}.json`), 'utf8')) as Record<string, unknown>;
  return (key, params = {}) => {
    const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], tree);
    if (typeof value !== 'string') throw new Error(`no text ${key} in ${locale}`);
    return value.replace(/\{\{(\w+)\}\}/g, (_, name: string) => params[name] ?? '');
  };
}

/** What the sign-up form asks for. */
export interface NewPractice {
  name: string;
  street: string;
  postalCode: string;
  city: string;
  country: 'NL' | 'DE' | 'AT';
  kind: 'psychotherapy' | 'general_practice' | 'physiotherapy';
  owner: { name: string; email: string; password: string };
  phone: string;
  profession: string;
}

/**
 * A new practice, ready to work in: signs up (English), confirms the address from the outbox,
 * signs the owner in and sets up the authenticator app. Returns the app's secret for later codes.
 */
export async function openNewPractice(page: Page, practice: NewPractice, shotPrefix: string): Promise<string> {
  const t = messages('en');
  await page.goto(`${baseUrl}/signup`);
  await submitSignUp(page, t, practice);
  await page.goto(await linkFromOutbox(practice.owner.email, '/verify-email#token='));
  await page.getByTestId('verify-success').waitFor();
  await page.goto(`${baseUrl}/login`);
  const login = page.getByTestId('login-form');
  await login.getByLabel(t('fields.email'), { exact: true }).fill(practice.owner.email);
  await login.getByLabel(t('fields.password'), { exact: true }).fill(practice.owner.password);
  await login.getByRole('button', { name: t('login.submit') }).click();
  const secret = await enrolAppAtFirstSignIn(page, 'en', shotPrefix);
  await page.getByTestId('organisation-name').waitFor();
  return secret;
}

/** Fills in the sign-up form on the page (already at /signup), accepts terms and DPA, sends it. */
export async function submitSignUp(page: Page, t: (key: string) => string, practice: NewPractice): Promise<void> {
  const form = page.getByTestId('signup-form');
  await form.getByLabel(t('fields.practiceName'), { exact: true }).fill(practice.name);
  await form.getByLabel(t('fields.street'), { exact: true }).fill(practice.street);
  await form.getByLabel(t('fields.postalCode'), { exact: true }).fill(practice.postalCode);
  await form.getByLabel(t('fields.city'), { exact: true }).fill(practice.city);
  await form.getByLabel(t('fields.country'), { exact: true }).selectOption(practice.country);
  await form.getByLabel(t('fields.practiceKind'), { exact: true }).selectOption(practice.kind);
  await form.getByLabel(t('fields.fullName'), { exact: true }).fill(practice.owner.name);
  await form.getByLabel(t('fields.email'), { exact: true }).fill(practice.owner.email);
  await form.getByLabel(t('fields.phone'), { exact: true }).fill(practice.phone);
  await form.getByLabel(t('fields.profession'), { exact: true }).fill(practice.profession);
  await form.getByLabel(t('fields.password'), { exact: true }).fill(practice.owner.password);
  await form.getByRole('checkbox').nth(0).check();
  await form.getByRole('checkbox').nth(1).check();
  await form.getByRole('button', { name: t('signup.submit') }).click();
  await page.getByTestId('signup-done').waitFor();
}

// ---------- the authenticator app on the phone, as the specs use it ----------
// Practices require a second factor by default, so every spec's people set up an app at their
// first sign-in and answer with its codes afterwards.

const lastStepUsed = new Map<string, number>();
const stepOf = (ms: number) => Math.floor(ms / 30_000);
const codeAt = (secret: string, timestamp: number) => TOTP.generate({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1', timestamp });

/** A code the server has not seen yet for this key: waits for the next 30-s step if this one was used. */
export async function freshCode(secret: string): Promise<string> {
  const used = lastStepUsed.get(secret);
  if (used !== undefined && stepOf(Date.now()) <= used) {
    await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() % 30_000) + 500));
  }
  // Not in the last half-second of a step, so the code is still current when it arrives.
  if (30_000 - (Date.now() % 30_000) < 500) await new Promise((resolve) => setTimeout(resolve, 700));
  const now = Date.now();
  lastStepUsed.set(secret, stepOf(now));
  return codeAt(secret, now);
}

/** Six digits that are not the code of this step, the one before or the one after. */
export function wrongCode(secret: string): string {
  const now = Date.now();
  const near = new Set([codeAt(secret, now - 30_000), codeAt(secret, now), codeAt(secret, now + 30_000)]);
  for (let n = 0; ; n += 1) {
    const candidate = String((123_456 + n * 7_919) % 1_000_000).padStart(6, '0');
    if (!near.has(candidate)) return candidate;
  }
}

/** Steps 1 and 2 of the app setup: reads the key from the page and confirms with its first code. */
export async function connectApp(page: Page, shotPrefix: string, codeLabel: string): Promise<string> {
  const wizard = page.getByTestId('totp-setup');
  await wizard.waitFor();
  const qr = page.getByTestId('totp-qr');
  await qr.waitFor();
  assert.match((await qr.getAttribute('src')) ?? '', /^data:image\/svg\+xml;base64,/, 'the QR code is made by Haven itself, not fetched from elsewhere');
  assert.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the QR code is shown');
  const shown = await page.getByTestId('totp-secret').innerText();
  assert.match(shown, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/, `the setup key is shown in groups of four (${shown})`);
  const secret = shown.replace(/\s+/g, '');
  await shot(page, `${shotPrefix}-1-connect`);

  await page.getByTestId('totp-setup-next').click();
  const form = page.getByTestId('totp-confirm-form');
  await form.getByLabel(codeLabel, { exact: true }).fill(await freshCode(secret));
  await shot(page, `${shotPrefix}-2-confirm`);
  await form.getByTestId('totp-confirm-submit').click();
  await page.getByTestId('recovery-codes').waitFor();
  return secret;
}

/** Step 3: the ten codes, shown once; "Done" after ticking that they are stored. */
export async function keepRecoveryCodes(page: Page, storedLabel: string): Promise<string[]> {
  const codes = await page.getByTestId('recovery-code').allInnerTexts();
  assert.equal(codes.length, 10, 'ten recovery codes');
  await page.getByTestId('recovery-codes-panel').getByLabel(storedLabel, { exact: true }).check();
  await page.getByTestId('recovery-codes-done').click();
  return codes;
}

/**
 * The first sign-in in a practice that requires a second factor: the setup page comes first;
 * the app is chosen, connected and its recovery codes put away. Returns the app's key.
 */
export async function enrolAppAtFirstSignIn(page: Page, locale: 'en' | 'de' | 'nl', shotPrefix: string): Promise<string> {
  const t = messages(locale);
  await page.getByTestId('enrolment-page').waitFor();
  const appChoice = page.getByTestId('enrolment-choose-totp');
  if ((await appChoice.count()) > 0) await appChoice.click();
  const secret = await connectApp(page, shotPrefix, t('secondFactor.totpLabel'));
  await keepRecoveryCodes(page, t('recoveryCodes.stored'));
  return secret;
}

/** The second step of signing in, answered with the app's current code. */
export async function answerWithApp(page: Page, secret: string): Promise<void> {
  const step = page.getByTestId('second-factor-form');
  await step.waitFor();
  if ((await step.getAttribute('data-method')) !== 'totp') await step.getByTestId('second-factor-use-totp').click();
  const input = step.locator('input[autocomplete="one-time-code"]');
  await input.fill(await freshCode(secret));
  await input.press('Enter');
}

/** "Confirm it's you" for a sensitive action, answered with the app's current code. */
export async function confirmItsYouWithApp(page: Page, secret: string): Promise<void> {
  const dialog = page.getByTestId('step-up-dialog');
  await dialog.waitFor();
  if ((await dialog.getAttribute('data-method')) !== 'totp') await dialog.getByTestId('step-up-use-totp').click();
  const input = dialog.locator('input[autocomplete="one-time-code"]');
  await input.fill(await freshCode(secret));
  await dialog.getByTestId('step-up-submit').click();
  await dialog.waitFor({ state: 'hidden' });
}

/**
 * Waits for `ready`; when the page asks "Confirm it's you" first (the last proof is older than
 * five minutes, as after a long wait in a spec), answers with the app and waits again.
 */
export async function readyAfterStepUp(page: Page, ready: Locator, secret: string): Promise<void> {
  await ready.or(page.getByTestId('step-up-dialog')).first().waitFor();
  if (await page.getByTestId('step-up-dialog').isVisible()) await confirmItsYouWithApp(page, secret);
  await ready.waitFor();
}

// ---------- people and patients, as the issue-5 specs meet them ----------

/** A fresh browser (English, downloads allowed) for one person; the spec closes `contexts` in `after`. */
export async function newPersonPage(browser: Browser, contexts: BrowserContext[]): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-GB', acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

/** The password step of signing in (the second step, if any, is the caller's). */
export async function signInWithPassword(page: Page, email: string, password: string): Promise<void> {
  const t = messages('en');
  await page.goto(`${baseUrl}/login`);
  const form = page.getByTestId('login-form');
  await form.getByLabel(t('fields.email'), { exact: true }).fill(email);
  await form.getByLabel(t('fields.password'), { exact: true }).fill(password);
  await form.getByRole('button', { name: t('login.submit') }).click();
}

/** Waits for the newest e-mail to `to` made from `template` (see apps/server/src/core/mail/templates.ts). */
export async function mailFromOutbox(to: string, template: string, timeoutMs = 15_000): Promise<{ subject: string; links: string[] }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const entry = readOutbox(path.join(dataDir, 'outbox', 'mail'), 100).find((mail) => mail.to === to && mail.template === template);
    if (entry) return entry;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no ${template} mail to ${to}`);
}

/** What "New patient" asks for in the specs (contact details optional). */
export interface NewPatient {
  family: string;
  given: string;
  birthDate: string;
  sex: 'female' | 'male' | 'other' | 'unknown';
  email?: string;
  phone?: string;
}

/** Registers a patient from "New patient" and waits for their page; returns the patient's id (the address holds only that). */
export async function registerPatient(page: Page, patient: NewPatient): Promise<string> {
  const t = messages('en');
  const optional = (key: string) => `${t(key)} ${t('common.optionalSuffix')}`;
  await page.goto(`${baseUrl}/patients/new`);
  const form = page.getByTestId('new-patient-form');
  await form.getByLabel(t('patients.fields.familyName'), { exact: true }).fill(patient.family);
  await form.getByLabel(t('patients.fields.givenName'), { exact: true }).fill(patient.given);
  await form.getByLabel(t('patients.fields.birthDate'), { exact: true }).fill(patient.birthDate);
  await form.getByLabel(t('patients.fields.sex'), { exact: true }).selectOption(patient.sex);
  if (patient.email) await form.getByLabel(optional('fields.email'), { exact: true }).fill(patient.email);
  if (patient.phone) await form.getByLabel(optional('fields.phone'), { exact: true }).fill(patient.phone);
  await page.getByTestId('new-patient-submit').click();
  await page.getByRole('heading', { level: 1, name: `${patient.family}, ${patient.given}` }).waitFor();
  const id = /^\/patients\/([0-9a-f-]{36})$/.exec(new URL(page.url()).pathname)?.[1];
  assert.ok(id, 'the patient page has the id in its address');
  return id;
}

/**
 * The owner invites a colleague with a built-in role from the staff page; the colleague (in their
 * own browser) accepts, signs in and sets up the authenticator app. Returns the app's key.
 */
export async function inviteColleague(
  owner: Page,
  colleaguePage: Page,
  practiceName: string,
  colleague: { name: string; email: string; password: string },
  role: 'admin' | 'practitioner' | 'assistant',
  shotPrefix: string,
): Promise<string> {
  const t = messages('en');
  await owner.goto(`${baseUrl}/staff`);
  const invite = owner.getByTestId('invite-form');
  await invite.getByLabel(t('fields.email'), { exact: true }).fill(colleague.email);
  await invite.getByLabel(t('staff.invitations.role'), { exact: true }).selectOption(role);
  await invite.getByRole('button', { name: t('staff.invitations.send') }).click();
  await owner.getByTestId('invitation-row').filter({ hasText: colleague.email }).waitFor();

  // Haven opened once first, so the CSRF cookie is set before the invitation preview (see second-factor.spec.ts).
  await colleaguePage.goto(`${baseUrl}/login`);
  await colleaguePage.getByTestId('login-form').waitFor();
  await colleaguePage.goto(await linkFromOutbox(colleague.email, '/accept-invitation#token='));
  const join = colleaguePage.getByTestId('accept-invitation-form');
  await join.getByLabel(t('fields.fullName'), { exact: true }).fill(colleague.name);
  await join.getByLabel(t('fields.password'), { exact: true }).fill(colleague.password);
  await join.getByRole('button', { name: t('accept.submit', { organisation: practiceName }) }).click();
  await colleaguePage.getByTestId('login-notice').waitFor();
  await signInWithPassword(colleaguePage, colleague.email, colleague.password);
  const secret = await enrolAppAtFirstSignIn(colleaguePage, 'en', shotPrefix);
  await colleaguePage.getByTestId('organisation-name').waitFor();
  return secret;
}

/** Waits for the notifications in the top right corner to go (a few seconds): they would catch a click on what lies beneath. */
export async function dismissNotifications(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector('.mantine-Notification-root') === null, undefined, { timeout: 15_000 });
}

/** From the patient page: the Portal tab sends the invitation (to the patient's contact address). */
export async function invitePatientToPortal(page: Page, email: string): Promise<void> {
  const t = messages('en');
  await dismissNotifications(page);
  await page.getByTestId('tab-portal').click();
  const form = page.getByTestId('patient-portal-invite');
  await form.waitFor();
  assert.equal(await form.getByLabel(t('patientPortal.email'), { exact: true }).inputValue(), email, "the patient's contact address is offered");
  await form.getByTestId('patient-portal-send').click();
  await page.locator('[data-testid="patient-portal-state"][data-state="invited"]').waitFor();
}

/**
 * The patient opens the invitation link from the outbox, gives a name and a password under the
 * practice's policy, and lands on the sign-in page with a notice; then signs in to the portal.
 */
export async function acceptPatientInvitation(page: Page, patient: { email: string; name: string; password: string }): Promise<void> {
  const t = messages('en');
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-form').waitFor();
  await page.goto(await linkFromOutbox(patient.email, '/accept-patient-invitation#token='));
  const form = page.getByTestId('accept-patient-invitation-form');
  await form.getByLabel(t('fields.fullName'), { exact: true }).fill(patient.name);
  await form.getByLabel(t('fields.password'), { exact: true }).fill(patient.password);
  await form.getByTestId('patient-invitation-submit').click();
  await page.getByTestId('login-notice').waitFor();
}

/** Signs a patient in (no second factor by default: `patientSecondFactorRequired` is off) and waits for the portal. */
export async function signInToPortal(page: Page, email: string, password: string): Promise<void> {
  await signInWithPassword(page, email, password);
  await page.getByTestId('portal-shell').waitFor();
}
