import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { answerWithApp, launchBrowser, messages, openNewPractice, shot, uniqueSuffix } from './support.ts';

/**
 * The practice's patient directory: the owner registers a patient — a mistyped BSN is refused
 * inline by its check digit, the right one accepted — is told in words when the same BSN is
 * registered twice, and finds the patient by the start of the name and by the date of birth.
 * Search terms travel in a request body: the address bar never shows them.
 */
const t = messages('en');
const id = uniqueSuffix();
const owner = { name: `Femke de Wit ${id}`, email: `femke-${id}@linde.example`, password: `Linden harbour ${id} quill` };
const patient = { family: 'Verhoeven', given: 'Annelies Maria', birthDate: '1984-03-17', wrongBsn: '111222334', bsn: '111222333' };
let browser: Browser;
const contexts: BrowserContext[] = [];
let page: Page;

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-GB' });
  contexts.push(context);
  const created = await context.newPage();
  created.setDefaultTimeout(15_000);
  return created;
}

async function openPatients(): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: t('nav.patients'), exact: true }).click();
  await page.getByRole('heading', { level: 1, name: t('patients.title') }).waitFor();
}

test('the owner signs up and finds the Patients page in the navigation, still empty', async () => {
  page = await newPage();
  await openNewPractice(page, {
    name: `Praktijk De Linde ${id}`,
    street: 'Lindelaan 4',
    postalCode: '3511 AB',
    city: 'Utrecht',
    country: 'NL',
    kind: 'general_practice',
    owner,
    phone: '+31 30 123 4567',
    profession: 'GP',
  }, 'patients-00-enrolment');

  await openPatients();
  assert.equal(new URL(page.url()).pathname, '/patients');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main', 'focus moves to the page after navigating');
  await page.getByTestId('patients-empty').waitFor();
  assert.match(await page.getByTestId('patients-empty').innerText(), new RegExp(t('patients.browse.none')));
  await shot(page, 'patients-01-empty');
});

test('a mistyped BSN is refused inline by its check digit; the right one is accepted', async () => {
  await page.getByTestId('new-patient').click();
  await page.getByRole('heading', { level: 1, name: t('patients.new.title') }).waitFor();
  const form = page.getByTestId('new-patient-form');
  await form.getByLabel(t('patients.fields.familyName'), { exact: true }).fill(patient.family);
  await form.getByLabel(t('patients.fields.givenName'), { exact: true }).fill(patient.given);
  await form.getByLabel(t('patients.fields.birthDate'), { exact: true }).fill(patient.birthDate);
  await form.getByLabel(t('patients.fields.sex'), { exact: true }).selectOption('female');
  await form.getByLabel(`${t('fields.phone')} ${t('common.optionalSuffix')}`, { exact: true }).fill('+31 6 1234 5678');
  await form.getByLabel(t('patients.fields.nationalIdKind'), { exact: true }).selectOption('bsn');
  const idField = form.getByTestId('national-id-field');
  const idInput = form.getByLabel(t('patients.fields.nationalId'), { exact: true });

  await idInput.fill(patient.wrongBsn);
  const wrong = t('patients.form.nationalIdWrong', { kind: t('patients.nationalIdKinds.bsn') });
  // The visible message under the field (the same words are also announced through a live region).
  await idField.getByText(wrong, { exact: true }).first().waitFor();
  assert.equal(await idField.getAttribute('data-state'), 'invalid');
  assert.equal(await idInput.getAttribute('aria-invalid'), 'true', 'the field itself is marked invalid, not only coloured');
  await shot(page, 'patients-02-wrong-bsn');

  // Sending anyway is refused before it reaches the server, with the focus on the identifier.
  await page.getByTestId('new-patient-submit').click();
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true');
  assert.equal(new URL(page.url()).pathname, '/patients/new');

  await idInput.fill(patient.bsn);
  await idField.getByText(t('patients.form.nationalIdValid', { kind: t('patients.nationalIdKinds.bsn') }), { exact: true }).first().waitFor();
  assert.equal(await idField.getAttribute('data-state'), 'valid');
  await shot(page, 'patients-03-right-bsn');

  await page.getByTestId('new-patient-submit').click();
  await page.getByRole('heading', { level: 1, name: `${patient.family}, ${patient.given}` }).waitFor();
  assert.match(new URL(page.url()).pathname, /^\/patients\/[0-9a-f-]{36}$/, 'only the id in the address');
  assert.match(await page.getByTestId('patient-header-national-id').innerText(), new RegExp(patient.bsn));
  assert.match(await page.getByTestId('patient-header-birth-date').innerText(), /17 Mar 1984/);
  await page.getByTestId('tab-details').click();
  const details = page.getByTestId('patient-details');
  await details.waitFor();
  assert.match(await details.innerText(), /\+31 6 1234 5678/);
  await page.getByTestId('tab-care-team').click();
  assert.equal(await page.getByTestId('care-team-row').count(), 1, 'the owner who registered the patient is in the care team');
  assert.match(await page.getByTestId('care-team-row').innerText(), new RegExp(owner.name));
  await shot(page, 'patients-04-created');
});

test('the same BSN a second time is explained, not registered twice', async () => {
  await openPatients();
  await page.getByTestId('new-patient').click();
  const form = page.getByTestId('new-patient-form');
  await form.getByLabel(t('patients.fields.familyName'), { exact: true }).fill('Verhoef');
  await form.getByLabel(t('patients.fields.givenName'), { exact: true }).fill('Anne');
  await form.getByLabel(t('patients.fields.birthDate'), { exact: true }).fill('1990-01-02');
  await form.getByLabel(t('patients.fields.sex'), { exact: true }).selectOption('female');
  await form.getByLabel(t('patients.fields.nationalIdKind'), { exact: true }).selectOption('bsn');
  await form.getByLabel(t('patients.fields.nationalId'), { exact: true }).fill(`${patient.bsn.slice(0, 3)} ${patient.bsn.slice(3, 6)} ${patient.bsn.slice(6)}`);
  await page.getByTestId('new-patient-submit').click();
  const duplicate = page.getByTestId('patient-duplicate');
  await duplicate.waitFor();
  assert.match(await duplicate.innerText(), new RegExp(t('patients.new.duplicateTitle')));
  await form.getByTestId('national-id-field').getByText(t('patients.form.nationalIdTaken'), { exact: true }).first().waitFor();
  await shot(page, 'patients-05-duplicate');
});

test('finds the patient by the start of the name and by the date of birth, with nothing in the URL', async () => {
  await openPatients();
  await page.getByTestId('patient-row').first().waitFor();
  const search = page.getByTestId('patient-search');

  await search.getByLabel(t('patients.search.name'), { exact: true }).fill('verh');
  await page.getByTestId('patient-search-submit').click();
  await page.getByRole('heading', { level: 2, name: t('patients.search.results') }).waitFor();
  const rows = page.getByTestId('patient-row');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);
  assert.equal(await rows.first().getByTestId('patient-row-name').innerText(), `${patient.family}, ${patient.given}`);
  assert.match(await rows.first().innerText(), new RegExp(t('patients.sex.female')));
  assert.match(await rows.first().innerText(), new RegExp(t('patients.status.active')), 'the status is in words');
  assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/patients', 'no search terms in the address bar');
  await shot(page, 'patients-06-by-name');

  // Two words, each the start of a name part.
  await search.getByLabel(t('patients.search.name'), { exact: true }).fill('ann verhoe');
  await page.getByTestId('patient-search-submit').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="patient-row"]').length === 1);

  await page.getByTestId('patient-search-clear').click();
  await search.getByLabel(t('patients.search.birthDate'), { exact: true }).fill(patient.birthDate);
  await page.getByTestId('patient-search-submit').click();
  await page.getByRole('heading', { level: 2, name: t('patients.search.results') }).waitFor();
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().getByTestId('patient-row-birth-date').innerText(), /17 Mar 1984/);
  assert.ok(!page.url().includes('1984'), 'the date of birth is not in the URL');
  await shot(page, 'patients-07-by-birth-date');

  // A click on the row opens the patient; going back shows the same results (kept in memory).
  await rows.first().click();
  await page.getByRole('heading', { level: 1, name: `${patient.family}, ${patient.given}` }).waitFor();
  await page.goBack();
  await page.getByRole('heading', { level: 2, name: t('patients.search.results') }).waitFor();
  assert.equal(await search.getByLabel(t('patients.search.birthDate'), { exact: true }).inputValue(), patient.birthDate);

  await search.getByLabel(t('patients.search.birthDate'), { exact: true }).fill('1984-03-18');
  await page.getByTestId('patient-search-submit').click();
  await page.getByTestId('patients-empty').waitFor();
  assert.match(await page.getByTestId('patients-empty').innerText(), new RegExp(t('patients.search.none')));
});

test('the patient pages speak German and Dutch too', async () => {
  for (const locale of ['de', 'nl'] as const) {
    const tl = messages(locale);
    await page.getByTestId('language-switcher').first().selectOption(locale);
    await page.getByRole('navigation').getByRole('link', { name: tl('nav.patients'), exact: true }).click();
    await page.getByRole('heading', { level: 1, name: tl('patients.title') }).waitFor();
    // The last search is remembered (in memory): clear it to browse again.
    if (await page.getByTestId('patient-search-clear').isVisible()) await page.getByTestId('patient-search-clear').click();
    await page.getByRole('heading', { level: 2, name: tl('patients.browse.title') }).waitFor();
    await page.getByTestId('patient-row').first().click();
    await page.getByRole('tab', { name: tl('patients.page.tabs.careTeam') }).waitFor();
    assert.equal(await page.title(), `${tl('patients.page.unknownTitle')} · Haven`, 'the name stays out of the tab title (browser history)');
    await page.getByTestId('tab-details').click();
    await page.getByTestId('patient-edit').click();
    await page.getByTestId('patient-edit-form').getByLabel(tl('patients.fields.nationalIdKind'), { exact: true }).waitFor();
    await shot(page, `patients-08-edit-${locale}`);
    await page.getByTestId('patient-edit-form').getByRole('button', { name: tl('common.cancel') }).click();
  }
  await page.getByTestId('language-switcher').first().selectOption('en');
});
