import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  baseUrl,
  dismissNotifications,
  invitePatientToPortal,
  launchBrowser,
  linkFromOutbox,
  messages,
  newPersonPage,
  openNewPractice,
  registerPatient,
  shot,
  testShowingFailures,
  signInToPortal,
  signInWithPassword,
  uniqueSuffix,
} from './support.ts';

/**
 * The patient portal, from both sides. The owner registers a patient with an e-mail address,
 * shares a letter with them and invites them from the patient page's Portal tab. The patient
 * opens the link from the outbox, sets a password under the practice's policy (checked as it is
 * typed), signs in and lands in the portal — never in the practice's pages. There they see their
 * details and the shared letter, download it, correct their phone number (which the practice sees
 * at once), and write a comment on the letter, which the practice answers on the patient's page.
 */
const t = messages('en');
const id = uniqueSuffix();
const practice = { name: `Praktijk Het Anker ${id}` };
const owner = { name: `Sanne Mulder ${id}`, email: `sanne-${id}@anker.example`, password: `Anchor tide ${id} lantern` };
const patient = {
  family: 'Brouwer',
  given: `Kees ${id}`,
  birthDate: '1958-06-21',
  sex: 'male' as const,
  email: `kees-${id}@post.example`,
  phone: '+31 6 1111 2222',
  name: `Kees Brouwer ${id}`,
  password: `Harbour gull ${id} rope`,
};
const newPhone = '+31 6 3333 4444';
const letter = { title: `Letter to the cardiologist ${id}`, file: `verwijsbrief-${id}.pdf`, bytes: Buffer.from(`%PDF-1.4\n1 0 obj << /Title (Referral ${id}) >> endobj\n%%EOF\n`, 'latin1') };
const comment = 'The letter says I smoke, but I stopped in 2019.';
const answer = 'Thank you — corrected in your record, and a new letter is on its way.';
let browser: Browser;
const contexts: BrowserContext[] = [];
let staff: Page;
let portal: Page;
let patientId = '';
let firstInvitationLink = '';
let acceptedLink = '';

const test = testShowingFailures('portal', () => [staff, portal]);

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
});

test('the owner registers a patient, shares a letter with them and invites them to the portal', async () => {
  staff = await newPersonPage(browser, contexts);
  await openNewPractice(staff, {
    name: practice.name,
    street: 'Havenstraat 1',
    postalCode: '1781 AB',
    city: 'Den Helder',
    country: 'NL',
    kind: 'general_practice',
    owner,
    phone: '+31 223 123 456',
    profession: 'GP',
  }, 'portal-00-enrolment');
  patientId = await registerPatient(staff, patient);

  await staff.getByTestId('tab-documents').click();
  await staff.getByTestId('documents-upload-input').setInputFiles({ name: letter.file, mimeType: 'application/pdf', buffer: letter.bytes });
  await staff.getByTestId('documents-title').fill(letter.title);
  await staff.getByTestId('documents-upload-button').click();
  await staff.getByText(t('documents.upload.done', { name: letter.title }), { exact: true }).waitFor();
  const row = staff.getByTestId('document-row').filter({ hasText: letter.title });
  await row.getByRole('switch', { name: t('documents.share.label') }).click({ force: true }); // Mantine draws the track over the input
  await staff.getByText(t('documents.share.shared', { name: letter.title }), { exact: true }).waitFor();

  await dismissNotifications(staff);
  await staff.getByTestId('tab-portal').click();
  await staff.locator('[data-testid="patient-portal-state"][data-state="none"]').waitFor();
  await shot(staff, 'portal-01-practice-invite');
  await invitePatientToPortal(staff, patient.email);
  // Withdrawn (its link stops working) and sent again: the second link is the one that works.
  const firstLink = await linkFromOutbox(patient.email, '/accept-patient-invitation#token=');
  await staff.getByTestId('patient-portal-revoke').click();
  await staff.getByText(t('patientPortal.revoked'), { exact: true }).waitFor();
  await staff.locator('[data-testid="patient-portal-state"][data-state="none"]').waitFor();
  await invitePatientToPortal(staff, patient.email);
  // The mail goes out after the answer: wait until the newest one is the second.
  let newest = firstLink;
  for (let tries = 0; newest === firstLink && tries < 40; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    newest = await linkFromOutbox(patient.email, '/accept-patient-invitation#token=');
  }
  assert.notEqual(newest, firstLink, 'a new link');
  firstInvitationLink = firstLink;
  assert.match(await staff.getByTestId('patient-portal-invitation').innerText(), new RegExp(escape(patient.email)));
  assert.match(await staff.getByTestId('patient-portal-invitation').innerText(), new RegExp(escape(owner.name)), 'who sent it');
  await shot(staff, 'portal-02-practice-invited');
});

test('the patient opens the link, sets a password under the practice policy, and is sent to sign in', async () => {
  portal = await newPersonPage(browser, contexts);
  // Haven opened once first, so the CSRF cookie is set before the invitation preview (see second-factor.spec.ts).
  await portal.goto(`${baseUrl}/login`);
  await portal.getByTestId('login-form').waitFor();
  // The withdrawn invitation's link no longer works, and says so.
  await portal.goto(firstInvitationLink);
  await portal.getByTestId('error-alert').getByText(t('errors.TOKEN_INVALID')).waitFor();
  // (A link differing only after '#' would not load the page anew: go by the sign-in page, as a mail click opens a new page.)
  await portal.goto(`${baseUrl}/login`);
  await portal.getByTestId('login-form').waitFor();
  const link = await linkFromOutbox(patient.email, '/accept-patient-invitation#token=');
  acceptedLink = link;
  await portal.goto(link);
  const form = portal.getByTestId('accept-patient-invitation-form');
  await form.or(portal.getByTestId('error-alert')).first().waitFor();
  await shot(portal, 'portal-03-accept-page');
  await form.waitFor({ timeout: 1_000 });
  assert.equal(await portal.getByTestId('patient-invitation-organisation').innerText(), practice.name);
  assert.equal(await portal.getByTestId('patient-invitation-email').inputValue(), patient.email);
  assert.ok(!portal.url().includes('token'), 'the token is taken out of the address bar');

  await form.getByLabel(t('fields.fullName'), { exact: true }).fill(patient.name);
  // A weak password is refused as typed, by the practice's rules, before anything is sent.
  await form.getByLabel(t('fields.password'), { exact: true }).fill('harbour');
  await portal.locator('[data-testid="password-rules"] [data-met="false"]').first().waitFor();
  await form.getByTestId('patient-invitation-submit').click();
  await form.getByText(new RegExp(escape(t('passwordProblems.too_short')))).first().waitFor();
  assert.equal(new URL(portal.url()).pathname, '/accept-patient-invitation', 'nothing was sent');
  await shot(portal, 'portal-03-accept-weak-password');
  await form.getByLabel(t('fields.password'), { exact: true }).fill(patient.password);
  await portal.waitForFunction(() => document.querySelectorAll('[data-testid="password-rules"] [data-met="false"]').length === 0);
  await shot(portal, 'portal-04-accept');
  await form.getByTestId('patient-invitation-submit').click();
  const notice = portal.getByTestId('login-notice');
  await notice.waitFor();
  assert.equal(await notice.innerText(), t('login.notice.portalJoined', { organisation: practice.name }));
  assert.equal(new URL(portal.url()).pathname, '/login');
});

test('the patient signs in and lands in the portal, without the practice navigation', async () => {
  await signInToPortal(portal, patient.email, patient.password);
  assert.equal(new URL(portal.url()).pathname, '/portal');
  await portal.getByRole('heading', { level: 1, name: t('portal.home.title', { name: patient.name }) }).waitFor();
  assert.equal(await portal.getByTestId('portal-practice-name').innerText(), practice.name);
  assert.equal(await portal.getByTestId('organisation-name').count(), 0, 'not the staff frame');
  assert.equal(await portal.getByRole('link', { name: t('nav.patients'), exact: true }).count(), 0, 'no staff navigation');
  await portal.getByTestId('portal-card-documents').getByText(t('portal.home.cards.documents_one', { count: '1' })).waitFor();
  await shot(portal, 'portal-05-home');

  // The practice's pages lead back to the portal; the server refuses them all the same.
  for (const path of ['/', '/patients', `/patients/${patientId}`, '/staff']) {
    await portal.goto(`${baseUrl}${path}`);
    await portal.getByTestId('portal-shell').waitFor();
    assert.equal(new URL(portal.url()).pathname, '/portal', `${path} leads to the portal`);
  }
  assert.equal((await portal.request.get(`${baseUrl}/api/v1/patients/${patientId}`)).status(), 403);

  // The practice's Portal tab now says the patient has access.
  await staff.reload();
  await staff.getByTestId('tab-portal').click();
  await staff.locator('[data-testid="patient-portal-state"][data-state="active"]').waitFor();
});

test('sees their details and corrects their phone number; the practice sees the new one', async () => {
  await portal.getByTestId('portal-nav-details').click();
  await portal.getByRole('heading', { level: 1, name: t('portal.details.title') }).waitFor();
  const registered = portal.getByTestId('portal-registered');
  await registered.getByText(patient.given, { exact: true }).waitFor();
  assert.match(await registered.innerText(), /21 Jun 1958/);
  assert.equal(await portal.getByTestId('portal-contact-phone').innerText(), patient.phone);
  assert.equal(await portal.getByTestId('portal-contact-email').innerText(), patient.email);

  await portal.getByTestId('portal-contact-edit').click();
  const form = portal.getByTestId('portal-contact-form');
  const phone = form.getByLabel(`${t('fields.phone')} ${t('common.optionalSuffix')}`, { exact: true });
  await phone.fill('call me');
  await form.getByTestId('portal-contact-save').click();
  await form.getByText(t('validation.phone'), { exact: true }).waitFor();
  await phone.fill(newPhone);
  await shot(portal, 'portal-06-contact-edit');
  await form.getByTestId('portal-contact-save').click();
  await portal.getByText(t('portal.details.contact.saved'), { exact: true }).waitFor();
  await form.waitFor({ state: 'detached' });
  assert.equal(await portal.getByTestId('portal-contact-phone').innerText(), newPhone);
  await shot(portal, 'portal-07-details');

  await staff.goto(`${baseUrl}/patients/${patientId}`);
  await staff.getByTestId('tab-details').click();
  await staff.getByTestId('patient-details').getByText(newPhone, { exact: true }).waitFor();
});

test('sees the shared letter, downloads it, and comments on it', async () => {
  await portal.getByTestId('portal-nav-documents').click();
  const card = portal.getByTestId('portal-document').filter({ hasText: letter.title });
  await card.waitFor();
  assert.match(await card.getByTestId('portal-document-file').innerText(), new RegExp(escape(letter.file)));
  await shot(portal, 'portal-08-documents');

  const [download] = await Promise.all([portal.waitForEvent('download'), card.getByTestId('portal-document-download').click()]);
  assert.equal(download.suggestedFilename(), letter.file);
  assert.deepEqual(await readFile((await download.path()) ?? ''), letter.bytes, 'the bytes the practice uploaded');

  // A PDF can also be looked at in the page, from the bytes the portal fetched with the session.
  await card.getByTestId('portal-document-preview').click();
  const preview = portal.getByTestId('file-preview');
  assert.match((await preview.getByTestId('file-preview-pdf').getAttribute('src')) ?? '', /^blob:/);
  await preview.getByRole('button', { name: t('filePreview.close') }).click();
  await preview.waitFor({ state: 'hidden' });

  await card.getByTestId('portal-document-comment').click();
  const dialog = portal.getByTestId('comment-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('comment-send').click();
  await dialog.getByText(t('validation.required'), { exact: true }).waitFor();
  await dialog.getByLabel(t('comments.kinds.correction_request'), { exact: true }).check();
  await dialog.getByTestId('comment-text').fill(comment);
  await shot(portal, 'portal-09-comment');
  await dialog.getByTestId('comment-send').click();
  await portal.getByText(t('comments.dialog.sent'), { exact: true }).waitFor();
  await dialog.waitFor({ state: 'detached' });

  await portal.getByTestId('portal-nav-home').click();
  const mine = portal.getByTestId('comment').filter({ hasText: comment });
  await mine.waitFor();
  assert.equal(await mine.getAttribute('data-status'), 'open');
  assert.equal(await mine.getByTestId('comment-document').innerText(), t('comments.aboutDocument', { title: letter.title }));
});

test('the practice reads the comment on the patient page and answers it; the patient reads the answer', async () => {
  await staff.goto(`${baseUrl}/patients/${patientId}`);
  await staff.getByTestId('tab-comments').click();
  const received = staff.getByTestId('comment').filter({ hasText: comment });
  await received.waitFor();
  assert.equal(await received.getByTestId('comment-kind').textContent(), t('comments.kinds.correction_request'));
  await received.getByTestId('comment-answer').click();
  await received.getByTestId('comment-resolution-text').fill(answer);
  await shot(staff, 'portal-10-practice-comment');
  await received.getByTestId('comment-resolve').click();
  await staff.locator('[data-testid="comment"][data-status="resolved"]').waitFor();

  await portal.reload();
  const answered = portal.getByTestId('comment').filter({ hasText: comment });
  await answered.getByTestId('comment-resolution').getByText(answer, { exact: true }).waitFor();
  assert.equal(await answered.getAttribute('data-status'), 'resolved');
  await shot(portal, 'portal-11-answered');
});

test("the portal's security page and sessions are the account's own; staff are kept out of the portal", async () => {
  await portal.getByTestId('portal-nav-security').click();
  await portal.getByRole('heading', { level: 1, name: t('mySecurity.title') }).waitFor();
  await portal.getByText(t('portal.security.why'), { exact: true }).waitFor();
  await portal.getByTestId('totp-status').waitFor();
  await shot(portal, 'portal-12-security');
  await portal.getByTestId('portal-nav-sessions').click();
  await portal.locator('[data-testid="session-row"][data-current="true"]').waitFor();

  // The portal speaks Dutch too.
  const nl = messages('nl');
  await portal.getByTestId('portal-nav-home').click();
  await portal.getByTestId('language-switcher').first().selectOption('nl');
  await portal.getByRole('heading', { level: 1, name: nl('portal.home.title', { name: patient.name }) }).waitFor();
  await shot(portal, 'portal-13-home-nl');
  await portal.getByTestId('language-switcher').first().selectOption('en');
  // On a phone: the page's own links stay in one row that scrolls, signing out stays in reach.
  await portal.setViewportSize({ width: 390, height: 844 });
  await portal.getByTestId('logout').waitFor();
  await shot(portal, 'portal-14-home-phone');
  await portal.setViewportSize({ width: 1280, height: 720 });

  await staff.goto(`${baseUrl}/portal/documents`);
  await staff.getByTestId('organisation-name').waitFor();
  assert.equal(new URL(staff.url()).pathname, '/', 'staff are sent to their own home');
});

test('a second practice invites the same person: they confirm with their password and choose which portal to open', async () => {
  const other = { name: `Fysio De Duin ${id}`, owner: { name: `Pim Jansen ${id}`, email: `pim-${id}@duin.example`, password: `Dune rowing ${id} sail` } };
  const otherStaff = await newPersonPage(browser, contexts);
  await openNewPractice(otherStaff, {
    name: other.name,
    street: 'Duinweg 3',
    postalCode: '1787 AB',
    city: 'Julianadorp',
    country: 'NL',
    kind: 'physiotherapy',
    owner: other.owner,
    phone: '+31 223 654 321',
    profession: 'Physiotherapist',
  }, 'portal-15-second-practice');
  await registerPatient(otherStaff, { ...patient, phone: newPhone });
  await invitePatientToPortal(otherStaff, patient.email);

  // The address already has a Haven account: no new name or password, only the existing password.
  await portal.getByTestId('logout').click();
  await portal.getByTestId('login-form').waitFor();
  // The mail goes out after the answer: wait for the newest invitation to be this practice's.
  let link = acceptedLink;
  for (let tries = 0; link === acceptedLink && tries < 40; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    link = await linkFromOutbox(patient.email, '/accept-patient-invitation#token=');
  }
  await portal.goto(link);
  const form = portal.getByTestId('accept-patient-invitation-form');
  await form.waitFor();
  assert.equal(await portal.getByTestId('patient-invitation-organisation').innerText(), other.name);
  await form.getByText(t('portalInvitation.existingAccount'), { exact: true }).waitFor();
  assert.equal(await form.getByLabel(t('fields.fullName'), { exact: true }).count(), 0, 'no new name asked');
  await form.getByLabel(t('fields.password'), { exact: true }).fill(patient.password);
  await shot(portal, 'portal-16-accept-existing-account');
  await form.getByTestId('patient-invitation-submit').click();
  await portal.getByTestId('login-notice').waitFor();

  // Two portals: the choice names them as portals, not as practices to work in.
  await signInWithPassword(portal, patient.email, patient.password);
  const choice = portal.getByTestId('organisation-choice');
  await choice.waitFor();
  const choices = choice.getByTestId('org-choice');
  assert.equal(await choices.count(), 2);
  for (const name of [practice.name, other.name]) {
    await choice.locator('[data-kind="patient"]').getByText(t('login.patientPortalOf', { organisation: name }), { exact: true }).waitFor();
  }
  await shot(portal, 'portal-17-choose-portal');
  await choice.getByText(t('login.patientPortalOf', { organisation: other.name }), { exact: true }).click();
  await portal.getByTestId('portal-shell').waitFor();
  assert.equal(await portal.getByTestId('portal-practice-name').innerText(), other.name);
  await portal.getByTestId('portal-card-documents').getByText(t('portal.home.cards.documents_zero')).waitFor();
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
