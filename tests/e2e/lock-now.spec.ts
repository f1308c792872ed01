import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { readOutbox } from '../../apps/server/src/cli/outbox.ts';
import { answerWithApp, baseUrl, enrolAppAtFirstSignIn, launchBrowser, linkFromOutbox, messages, readyAfterStepUp, shot, uniqueSuffix } from './support.ts';

/**
 * Reception leaves the desk: "Lock screen" locks at once and keeps the half-written note; the
 * password continues it. Then a colleague who works for two practices signs in, reloads the
 * page before choosing one, still gets the choice, and lands in the practice they chose.
 */
const t = messages('en');
const id = uniqueSuffix();
const practiceA = { name: `Praktijk Noord ${id}`, owner: { name: `Anna de Vries ${id}`, email: `anna-${id}@noord.example`, password: `Harbour crane ${id} morning` } };
const practiceB = { name: `Praktijk Zuid ${id}`, owner: { name: `Bram Jansen ${id}`, email: `bram-${id}@zuid.example`, password: `Orchard bicycle ${id} evening` } };
const colleague = { name: `Kim Bakker ${id}`, email: `kim-${id}@balie.example`, password: `Window tulip ${id} bridge` };
const dataDir = process.env.HAVEN_E2E_DATA_DIR ?? './data';
let browser: Browser;
const contexts: BrowserContext[] = [];

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
});

async function newPage(viewport?: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-GB', ...(viewport ? { viewport } : {}) });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

async function signUpAndVerify(page: Page, practice: typeof practiceA): Promise<void> {
  await page.goto(`${baseUrl}/signup`);
  const form = page.getByTestId('signup-form');
  await form.getByLabel(t('fields.practiceName'), { exact: true }).fill(practice.name);
  await form.getByLabel(t('fields.street'), { exact: true }).fill('Stationsplein 3');
  await form.getByLabel(t('fields.postalCode'), { exact: true }).fill('9711 AB');
  await form.getByLabel(t('fields.city'), { exact: true }).fill('Groningen');
  await form.getByLabel(t('fields.country'), { exact: true }).selectOption('NL');
  await form.getByLabel(t('fields.practiceKind'), { exact: true }).selectOption('psychotherapy');
  await form.getByLabel(t('fields.fullName'), { exact: true }).fill(practice.owner.name);
  await form.getByLabel(t('fields.email'), { exact: true }).fill(practice.owner.email);
  await form.getByLabel(t('fields.phone'), { exact: true }).fill('+31 50 123 4567');
  await form.getByLabel(t('fields.profession'), { exact: true }).fill('Psychologist');
  await form.getByLabel(t('fields.password'), { exact: true }).fill(practice.owner.password);
  await form.getByRole('checkbox').nth(0).check();
  await form.getByRole('checkbox').nth(1).check();
  await form.getByRole('button', { name: t('signup.submit') }).click();
  await page.getByTestId('signup-done').waitFor();

  await page.goto(await linkFromOutbox(practice.owner.email, '/verify-email#token='));
  await page.getByTestId('verify-success').waitFor();
}

/** Each person's authenticator-app key, from their first sign-in (practices require a second factor). */
const appSecrets = new Map<string, string>();

/** Password, then the app: set up at the first sign-in, its code afterwards. */
async function fillLogin(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  const form = page.getByTestId('login-form');
  await form.getByLabel(t('fields.email'), { exact: true }).fill(email);
  await form.getByLabel(t('fields.password'), { exact: true }).fill(password);
  await form.getByRole('button', { name: t('login.submit') }).click();
  const secret = appSecrets.get(email);
  if (secret) await answerWithApp(page, secret);
  else appSecrets.set(email, await enrolAppAtFirstSignIn(page, 'en', `lock-00-enrolment-${appSecrets.size}`));
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await fillLogin(page, email, password);
  // The header's organisation name shows at every width (the user's name not on a phone).
  await page.getByTestId('organisation-name').waitFor();
}

async function invite(page: Page, email: string): Promise<void> {
  await page.goto(`${baseUrl}/staff`);
  const form = page.getByTestId('invite-form');
  await form.getByLabel(t('fields.email'), { exact: true }).fill(email);
  await form.getByLabel(t('staff.invitations.role'), { exact: true }).selectOption('assistant');
  await form.getByRole('button', { name: t('staff.invitations.send') }).click();
  await page.getByTestId('invitation-row').filter({ hasText: email }).waitFor();
}

/** The newest invitation link to `to` that is not one of `seen` (the same person gets two). */
async function newInvitationLink(to: string, seen: string[]): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const link = readOutbox(path.join(dataDir, 'outbox', 'mail'), 50)
      .filter((mail) => mail.to === to)
      .flatMap((mail) => mail.links)
      .find((candidate) => candidate.includes('/accept-invitation#token=') && !seen.includes(candidate));
    if (link) return link;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no new invitation mail to ${to}`);
}

let owner: Page;

test('"Lock screen" locks at once, keeps the typed note, and the password continues it', async () => {
  owner = await newPage();
  await signUpAndVerify(owner, practiceA);
  await signIn(owner, practiceA.owner.email, practiceA.owner.password);

  const note = 'Mrs. Visser rang: move Thursday 10:00 to next week, confirm by phone';
  await owner.getByTestId('scratch-note').fill(note);
  const button = owner.getByRole('button', { name: t('shell.lockNow'), exact: true });
  assert.equal(await button.getAttribute('data-testid'), 'lock-now', 'the header button is named "Lock screen"');
  await button.hover();
  await owner.getByText(t('shell.lockNowHint'), { exact: true }).waitFor();
  await shot(owner, 'lock-01-before');
  await button.click();

  // At once, not on the next 15-second poll.
  await owner.getByTestId('lock-screen').waitFor({ timeout: 3_000 });
  await shot(owner, 'lock-02-locked');
  const lock = owner.getByTestId('lock-screen');
  assert.match(await lock.innerText(), new RegExp(t('lock.descriptionByUser').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'says the person locked it');
  assert.equal(await owner.getByTestId('app-content').getAttribute('aria-hidden'), 'true');
  assert.equal(await owner.getByTestId('app-content').evaluate((element) => (element as HTMLElement).inert), true, 'the page underneath is inert');
  assert.equal(await owner.getByTestId('scratch-note').inputValue(), note, 'the typed text is still under the lock screen');
  assert.equal(await owner.getByText(t('shell.lockNowHint'), { exact: true }).count(), 0, 'no tooltip left over the lock screen');

  // The server agrees: the session is locked, not just covered.
  const state = await owner.evaluate(async () => (await (await fetch('/api/v1/auth/session')).json()) as { state: string });
  assert.equal(state.state, 'locked');

  await lock.getByLabel(t('lock.password'), { exact: true }).fill(practiceA.owner.password);
  await lock.getByRole('button', { name: t('lock.unlock') }).click();
  await owner.getByTestId('lock-screen').waitFor({ state: 'hidden' });
  assert.equal(await owner.getByTestId('scratch-note').inputValue(), note);
  // Focus goes back to where it was before locking.
  await owner.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'lock-now');
  await owner.getByTestId('scratch-note').click();
  await owner.getByTestId('scratch-note').press('End');
  await owner.getByTestId('scratch-note').pressSequentially(' — done.');
  assert.equal(await owner.getByTestId('scratch-note').inputValue(), `${note} — done.`, 'work continues after unlocking');
  await shot(owner, 'lock-03-unlocked');

  await owner.goto(`${baseUrl}/audit`);
  await readyAfterStepUp(owner, owner.locator('[data-testid="audit-row"][data-action="auth.session_locked"]').first(), appSecrets.get(practiceA.owner.email)!);
  assert.match(
    await owner.locator('[data-testid="audit-row"][data-action="auth.session_locked"]').first().innerText(),
    new RegExp(t('audit.actions.auth_session_locked')),
  );
});

test('on a phone-sized screen the header keeps the lock button, by icon, with the same name', async () => {
  const phone = await newPage({ width: 390, height: 800 });
  await signIn(phone, practiceA.owner.email, practiceA.owner.password);
  const button = phone.getByRole('button', { name: t('shell.lockNow'), exact: true });
  for (const control of [button, phone.getByTestId('logout')]) {
    const box = await control.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'lock and sign-out buttons fit on the screen');
  }
  await shot(phone, 'lock-04-phone-header');
  await button.click();
  await phone.getByTestId('lock-screen').waitFor({ timeout: 3_000 });
  await phone.getByTestId('lock-screen').getByRole('button', { name: t('lock.signOut') }).click();
  await phone.getByTestId('login-form').waitFor();
});

test('someone in two practices still gets the choice after a reload, and lands where they chose', async () => {
  // Practice A invites a new person, who joins with a new password.
  await invite(owner, colleague.email);
  const linkA = await newInvitationLink(colleague.email, []);
  const person = await newPage();
  await person.goto(linkA);
  const joinA = person.getByTestId('accept-invitation-form');
  await joinA.getByLabel(t('fields.fullName'), { exact: true }).fill(colleague.name);
  await joinA.getByLabel(t('fields.password'), { exact: true }).fill(colleague.password);
  await joinA.getByRole('button', { name: t('accept.submit', { organisation: practiceA.name }) }).click();
  await person.getByTestId('login-notice').waitFor();

  // Practice B (another owner) invites the same address; it joins with the existing password.
  const ownerB = await newPage();
  await signUpAndVerify(ownerB, practiceB);
  await signIn(ownerB, practiceB.owner.email, practiceB.owner.password);
  await invite(ownerB, colleague.email);
  const linkB = await newInvitationLink(colleague.email, [linkA]);
  await person.goto(linkB);
  const joinB = person.getByTestId('accept-invitation-form');
  await joinB.getByText(t('accept.existingAccount')).waitFor();
  await joinB.getByLabel(t('fields.password'), { exact: true }).fill(colleague.password);
  await joinB.getByRole('button', { name: t('accept.submit', { organisation: practiceB.name }) }).click();
  await person.getByTestId('login-notice').waitFor();

  // Signing in asks which practice.
  await fillLogin(person, colleague.email, colleague.password);
  await person.getByTestId('org-choice').nth(1).waitFor();
  assert.equal(await person.getByTestId('org-choice').count(), 2);
  await shot(person, 'choice-01-after-login');

  // A reload before choosing: still the choice, not an empty login form.
  await person.reload();
  await person.getByTestId('org-choice').nth(1).waitFor();
  assert.equal(await person.getByTestId('org-choice').count(), 2);
  assert.equal(await person.getByTestId('login-form').count(), 0, 'no bare login form');
  assert.match(await person.getByTestId('organisation-choice-account').innerText(), new RegExp(colleague.email));
  assert.ok(await person.getByRole('button', { name: t('shell.signOut'), exact: true }).isVisible(), 'a way to sign out instead');
  await shot(person, 'choice-02-after-reload');

  await person.getByTestId('org-choice').filter({ hasText: practiceB.name }).click();
  await person.getByTestId('current-user').waitFor();
  assert.equal(await person.getByTestId('organisation-name').innerText(), practiceB.name);
  assert.equal(await person.getByTestId('current-user').innerText(), colleague.name);
  await shot(person, 'choice-03-in-practice-b');
});
