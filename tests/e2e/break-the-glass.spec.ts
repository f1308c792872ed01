import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  acceptPatientInvitation,
  answerWithApp,
  baseUrl,
  enrolAppAtFirstSignIn,
  inviteColleague,
  invitePatientToPortal,
  launchBrowser,
  mailFromOutbox,
  messages,
  newPersonPage,
  openNewPractice,
  readyAfterStepUp,
  registerPatient,
  shot,
  testShowingFailures,
  signInWithPassword,
  uniqueSuffix,
} from './support.ts';

/**
 * Break-the-glass, and the patient seeing it. The owner asks patients for a second factor too,
 * registers a patient (and so is their care team), writes a finding, and invites the patient to
 * the portal, where they set up an authenticator app at the first sign-in. A practitioner outside the care
 * team is refused the timeline; they break the glass with a reason, confirm it is them, and read
 * the finding. The care team and the patient each get an e-mail without names or reasons. The
 * patient signs in and finds it under "Who opened my record": the emergency access stands out
 * with the reason in the practitioner's words, and the refused attempt before it is listed too.
 */
const t = messages('en');
const id = uniqueSuffix();
const practice = { name: `Praktijk De Vuurtoren ${id}` };
const owner = { name: `Marieke Smit ${id}`, email: `marieke-${id}@vuurtoren.example`, password: `Beacon dune ${id} shell` };
const practitioner = { name: `Joris Vos ${id}`, email: `joris-${id}@vuurtoren.example`, password: `Foghorn pier ${id} kite` };
const patient = {
  family: 'De Boer',
  given: `Ineke ${id}`,
  birthDate: '1949-02-11',
  sex: 'female' as const,
  email: `ineke-${id}@post.example`,
  name: `Ineke de Boer ${id}`,
  password: `Tulip canal ${id} bridge`,
};
const finding = { title: 'Atrial fibrillation follow-up', text: 'Rate controlled; continue anticoagulation.' };
const dictated = { title: 'Phone call with the cardiologist', text: 'Dictated: start a beta blocker tonight.' };
const reason = 'Patient collapsed in the waiting room; her GP is away today.';
let browser: Browser;
const contexts: BrowserContext[] = [];
let staff: Page;
let colleague: Page;
let colleagueSecret = '';
let patientPage: Page | undefined;
let patientId = '';
let patientSecret = '';

const test = testShowingFailures('btg', () => [staff, colleague, patientPage]);

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
});

test('the owner registers a patient, writes a finding, invites the patient, and a practitioner joins', async () => {
  staff = await newPersonPage(browser, contexts);
  const ownerSecret = await openNewPractice(staff, {
    name: practice.name,
    street: 'Zeeweg 9',
    postalCode: '1931 AB',
    city: 'Egmond aan Zee',
    country: 'NL',
    kind: 'general_practice',
    owner,
    phone: '+31 72 123 4567',
    profession: 'GP',
  }, 'btg-00-enrolment');

  // This practice asks its patients for a second factor too (off by default).
  await staff.goto(`${baseUrl}/organisation/security`);
  const policy = staff.getByTestId('security-policy-form');
  const patientsToo = policy.getByTestId('patient-second-factor-required');
  await patientsToo.waitFor();
  assert.equal(await patientsToo.isChecked(), false, 'off by default');
  await patientsToo.click({ force: true }); // Mantine draws the track over the input
  await policy.getByRole('button', { name: t('common.saveChanges') }).click();
  await readyAfterStepUp(staff, staff.getByText(t('security.saved'), { exact: true }), ownerSecret);

  patientId = await registerPatient(staff, patient);

  await staff.getByTestId('entry-new').click();
  const editor = staff.getByTestId('entry-editor');
  await editor.getByLabel(t('dossier.editor.title'), { exact: true }).fill(finding.title);
  await editor.getByLabel(t('dossier.editor.text'), { exact: true }).fill(finding.text);
  await editor.getByTestId('entry-save').click();
  await editor.waitFor({ state: 'detached' });
  await staff.getByTestId('entry-heading').getByText(finding.title, { exact: true }).waitFor();

  await invitePatientToPortal(staff, patient.email);
  // A busy record: more reads than one page of the patient's access log holds (50).
  for (let read = 0; read < 50; read += 1) assert.equal((await staff.request.get(`${baseUrl}/api/v1/patients/${patientId}`)).status(), 200);
  colleague = await newPersonPage(browser, contexts);
  colleagueSecret = await inviteColleague(staff, colleague, practice.name, practitioner, 'practitioner', 'btg-01-practitioner-enrolment');
});

test('the patient sets up portal access with an authenticator app; nobody has opened the record yet but the practice', async () => {
  const page = (patientPage = await newPersonPage(browser, contexts));
  await acceptPatientInvitation(page, patient);
  await signInWithPassword(page, patient.email, patient.password);
  // The practice requires a second factor: the setup comes first, then the portal.
  patientSecret = await enrolAppAtFirstSignIn(page, 'en', 'btg-01b-patient-enrolment');
  await page.getByTestId('portal-shell').waitFor();
  assert.equal(new URL(page.url()).pathname, '/portal');
  await page.getByTestId('portal-nav-access-log').click();
  await page.getByRole('heading', { level: 1, name: t('portal.accessLog.title') }).waitFor();
  await page.getByTestId('access-log-entry').first().waitFor();
  assert.equal(await page.locator('[data-testid="access-log-entry"][data-break-glass="true"]').count(), 0, 'no emergency access yet');
  await page.close();
});

test('the practitioner outside the care team is refused, breaks the glass with a reason, and reads the timeline', async () => {
  await colleague.goto(`${baseUrl}/patients/${patientId}`);
  await colleague.getByRole('heading', { level: 1, name: `${patient.family}, ${patient.given}` }).waitFor();
  const closed = colleague.getByTestId('care-team-required');
  await closed.waitFor();
  assert.match(await closed.innerText(), new RegExp(escape(t('errors.CARE_TEAM_REQUIRED'))));
  await shot(colleague, 'btg-02-refused');

  await closed.getByTestId('break-glass-open').click();
  const dialog = colleague.getByTestId('break-glass-dialog');
  await dialog.waitFor();
  await dialog.getByLabel(t('breakGlass.reasonCode'), { exact: true }).selectOption('emergency');
  await dialog.getByLabel(`${t('breakGlass.reasonText')} ${t('common.optionalSuffix')}`, { exact: true }).fill(reason);
  await shot(colleague, 'btg-03-dialog');
  await dialog.getByTestId('break-glass-submit').click();
  await readyAfterStepUp(colleague, colleague.getByTestId('break-glass-banner'), colleagueSecret);
  await colleague.getByTestId('entry-heading').getByText(finding.title, { exact: true }).waitFor();
  await colleague.getByTestId('entry-text').getByText(finding.text, { exact: true }).waitFor();
  await shot(colleague, 'btg-04-timeline');
});

test("under the emergency access the practitioner writes a note for the care team's doctor; the timeline names both", async () => {
  await colleague.getByTestId('entry-new').click();
  const editor = colleague.getByTestId('entry-editor');
  await editor.waitFor();
  await editor.getByLabel(t('dossier.editor.title'), { exact: true }).fill(dictated.title);
  await editor.getByLabel(t('dossier.editor.text'), { exact: true }).fill(dictated.text);
  // The care team's writers are offered; the owner (who registered the patient) is one.
  await editor.getByTestId('entry-on-behalf-of').selectOption({ label: owner.name });
  await shot(colleague, 'btg-04b-on-behalf');
  await editor.getByTestId('entry-save').click();
  await editor.waitFor({ state: 'detached' });
  const written = colleague.getByTestId('dossier-entry').filter({ has: colleague.getByTestId('entry-heading').getByText(dictated.title, { exact: true }) });
  const author = await written.getByTestId('entry-author').innerText();
  assert.match(author, new RegExp(`^${escape(t('dossier.byOnBehalf', { name: practitioner.name, for: owner.name, time: '' }).trim())}`), 'written by the practitioner, for the owner');
});

test("the care team and the patient are told by e-mail, without the patient's name or the reason", async () => {
  const team = await mailFromOutbox(owner.email, 'break_glass_care_team');
  const told = await mailFromOutbox(patient.email, 'break_glass_patient');
  for (const mail of [team, told]) {
    assert.ok(!mail.subject.includes(patient.family) && !mail.subject.includes(reason), 'no name or reason in the subject');
  }
});

test('the patient sees the emergency access in "Who opened my record", with the reason, and the refusal before it', async () => {
  const page = (patientPage = await newPersonPage(browser, contexts));
  await signInWithPassword(page, patient.email, patient.password);
  await answerWithApp(page, patientSecret);
  await page.getByTestId('portal-shell').waitFor();
  await page.getByTestId('portal-nav-access-log').click();
  const who = `${practitioner.name} (${t('roles.practitioner')})`;
  const granted = page.locator('[data-testid="access-log-entry"][data-action="break_glass.granted"]');
  await granted.first().waitFor();
  assert.equal(await granted.first().getByTestId('access-log-sentence').innerText(), t('accessLog.actions.break_glass_granted', { who }));
  // What was read under the emergency access stands out, with the reason given for it.
  const emergency = page.locator('[data-testid="access-log-entry"][data-break-glass="true"]');
  await emergency.first().waitFor();
  const reasonShown = await emergency.first().getByTestId('access-log-reason').innerText();
  assert.match(reasonShown, new RegExp(escape(t('breakGlass.reasons.emergency'))));
  assert.match(reasonShown, new RegExp(escape(reason)), "the reason in the practitioner's own words");

  const refused = page.locator('[data-testid="access-log-entry"][data-outcome="denied"]');
  await refused.first().waitFor();
  assert.equal(await refused.first().getByTestId('access-log-sentence').innerText(), t('accessLog.actions.access_denied', { who }));
  await shot(page, 'btg-05-access-log');

  // The owner's 50 reads in a row are one line with a count; older accesses come a page at a time.
  const reads = page.locator('[data-testid="access-log-entry"][data-action="patient.viewed"]').filter({ hasText: owner.name }).first();
  const firstPage = Number(await reads.getAttribute('data-count'));
  assert.ok(firstPage > 1 && firstPage < 50, `the part of the run on the first page (${firstPage})`);
  await page.getByTestId('access-log-older').click();
  await page.getByTestId('access-log-end').waitFor();
  assert.ok(Number(await reads.getAttribute('data-count')) >= 50, 'the whole run once the older page is there');
  assert.match(await reads.innerText(), /\d+ times/);
  assert.equal(await page.getByTestId('access-log-older').count(), 0);
  await shot(page, 'btg-05b-access-log-all');

  // The same in German, the practitioner's role in German too.
  const de = messages('de');
  await page.getByTestId('language-switcher').first().selectOption('de');
  await page.getByRole('heading', { level: 1, name: de('portal.accessLog.title') }).waitFor();
  assert.equal(await granted.first().getByTestId('access-log-sentence').innerText(), de('accessLog.actions.break_glass_granted', { who: `${practitioner.name} (${de('roles.practitioner')})` }));
  await shot(page, 'btg-06-access-log-de');
  await page.getByTestId('language-switcher').first().selectOption('en');
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
