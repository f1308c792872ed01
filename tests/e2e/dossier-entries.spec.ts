import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, messages, openNewPractice, readyAfterStepUp, shot, uniqueSuffix } from './support.ts';

/**
 * A practitioner's dossier work: the owner (in the care team of the patient they registered)
 * writes a finding, revises it with a reason, opens its history — both versions, each with its
 * author and time — and marks it as entered in error with a reason: it stays, struck through,
 * with the reason beside it in words. Then, out of the care team, the timeline stays closed
 * and says why; emergency access (a reason, "Confirm it's you") opens it with a banner that
 * counts down, and "End access now" closes it again.
 */
const t = messages('en');
const id = uniqueSuffix();
const owner = { name: `Bram Jacobs ${id}`, email: `bram-${id}@eik.example`, password: `Oak lantern ${id} harbour` };
const finding = { title: 'Pain in the right knee', text: 'Pain when climbing stairs since two weeks.', revised: 'Pain when climbing stairs since two weeks. Slight swelling medially.', reason: 'Swelling added after examination' };
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

const entry = () => page.getByTestId('dossier-entry').filter({ has: page.getByTestId('entry-heading').getByText(finding.title, { exact: true }) });

test('the owner signs up, registers a patient and finds an empty timeline', async () => {
  const context = await browser.newContext({ locale: 'en-GB' });
  contexts.push(context);
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  appSecret = await openNewPractice(page, {
    name: `Praktijk De Eik ${id}`,
    street: 'Eikenlaan 12',
    postalCode: '6511 AB',
    city: 'Nijmegen',
    country: 'NL',
    kind: 'physiotherapy',
    owner,
    phone: '+31 24 123 4567',
    profession: 'Physiotherapist',
  }, 'dossier-00-enrolment');

  await page.getByRole('navigation').getByRole('link', { name: t('nav.patients'), exact: true }).click();
  await page.getByTestId('new-patient').click();
  const form = page.getByTestId('new-patient-form');
  await form.getByLabel(t('patients.fields.familyName'), { exact: true }).fill('Smits');
  await form.getByLabel(t('patients.fields.givenName'), { exact: true }).fill('Jan');
  await form.getByLabel(t('patients.fields.birthDate'), { exact: true }).fill('1961-11-05');
  await form.getByLabel(t('patients.fields.sex'), { exact: true }).selectOption('male');
  await page.getByTestId('new-patient-submit').click();
  await page.getByRole('heading', { level: 1, name: 'Smits, Jan' }).waitFor();
  await page.getByTestId('timeline-empty').waitFor();
});

test('writes a finding and sees it on the timeline with its author', async () => {
  await page.getByTestId('entry-new').click();
  const editor = page.getByTestId('entry-editor');
  await editor.waitFor();
  assert.equal(await editor.getByTestId('entry-kind-select').inputValue(), 'finding');
  // Saving without a title is refused on the field.
  await editor.getByLabel(t('dossier.editor.text'), { exact: true }).fill(finding.text);
  await editor.getByTestId('entry-save').click();
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true');
  await editor.getByLabel(t('dossier.editor.title'), { exact: true }).fill(finding.title);
  await shot(page, 'dossier-01-new-finding');
  await editor.getByTestId('entry-save').click();
  await editor.waitFor({ state: 'detached' });

  await entry().waitFor();
  // textContent: the badge's capitals are only CSS; the words are the translated kind.
  assert.equal(await entry().getByTestId('entry-kind').textContent(), t('dossier.kinds.finding'));
  assert.equal(await entry().getByTestId('entry-text').innerText(), finding.text);
  assert.match(await entry().getByTestId('entry-author').innerText(), new RegExp(owner.name));
  await shot(page, 'dossier-02-timeline');
});

test('writes a diagnosis: the ICD-10 code is checked as typed', async () => {
  await page.getByTestId('entry-new').click();
  const editor = page.getByTestId('entry-editor');
  await editor.getByTestId('entry-kind-select').selectOption('diagnosis');
  const code = editor.getByLabel(t('dossier.editor.icd10Code'), { exact: true });
  await code.fill('J4');
  await code.blur();
  await editor.getByText(t('dossier.editor.icd10Wrong'), { exact: true }).waitFor();
  assert.equal(await code.getAttribute('aria-invalid'), 'true');
  await code.fill('j45.0');
  await editor.getByText(t('dossier.editor.icd10Ok'), { exact: true }).waitFor();
  await editor.getByLabel(t('dossier.editor.icd10Text'), { exact: true }).fill('Predominantly allergic asthma');
  await editor.getByLabel(`${t('dossier.editor.certainty')} ${t('common.optionalSuffix')}`, { exact: true }).selectOption('G');
  await shot(page, 'dossier-02b-diagnosis');
  await editor.getByTestId('entry-save').click();
  await editor.waitFor({ state: 'detached' });
  const diagnosis = page.getByTestId('dossier-entry').filter({ has: page.getByTestId('entry-heading').getByText('J45.0 — Predominantly allergic asthma', { exact: true }) });
  await diagnosis.waitFor();
  assert.match(await diagnosis.innerText(), new RegExp(t('dossier.certainty.G')));
});

test('a revision saved meanwhile elsewhere is a clear conflict; the text typed here is kept', async () => {
  const diagnosis = (on: Page) => on.getByTestId('dossier-entry').filter({ has: on.getByTestId('entry-heading').getByText('J45.0 — Predominantly allergic asthma', { exact: true }) });
  const textLabel = `${t('dossier.editor.text')} ${t('common.optionalSuffix')}`;
  await diagnosis(page).getByTestId('entry-revise').click();
  const editor = page.getByTestId('entry-editor');
  await editor.getByLabel(textLabel, { exact: true }).fill('Worse in spring; inhaler as needed.');

  // Meanwhile, in another tab, the same entry gets a new version.
  const other = await page.context().newPage();
  other.setDefaultTimeout(15_000);
  await other.goto(page.url());
  await diagnosis(other).getByTestId('entry-revise').click();
  await other.getByTestId('entry-editor').getByLabel(textLabel, { exact: true }).fill('Reviewed by phone.');
  await other.getByTestId('entry-save').click();
  await other.getByTestId('entry-editor').waitFor({ state: 'detached' });
  await other.close();

  await editor.getByTestId('entry-save').click();
  const conflict = editor.getByTestId('entry-conflict');
  await conflict.waitFor();
  assert.match(await conflict.innerText(), new RegExp(escape(t('dossier.editor.conflictBody'))));
  assert.equal(await editor.getByLabel(textLabel, { exact: true }).inputValue(), 'Worse in spring; inhaler as needed.', 'the text typed here is kept');
  await conflict.getByTestId('entry-conflict-show').click();
  await conflict.getByTestId('entry-conflict-newer').getByText('Reviewed by phone.', { exact: true }).waitFor();
  await shot(page, 'dossier-02c-conflict');
  await editor.getByTestId('entry-save').click();
  await editor.waitFor({ state: 'detached' });
  await diagnosis(page).getByTestId('entry-text').getByText('Worse in spring; inhaler as needed.', { exact: true }).waitFor();
  assert.match(await diagnosis(page).innerText(), new RegExp(t('dossier.history.version', { version: '3' }), 'i'));
});

test('revises it with a reason; the history shows both versions with author and time', async () => {
  await entry().getByTestId('entry-revise').click();
  const editor = page.getByTestId('entry-editor');
  await editor.waitFor();
  await editor.getByLabel(t('dossier.editor.text'), { exact: true }).fill(finding.revised);
  await editor.getByLabel(`${t('dossier.editor.changeReason')} ${t('common.optionalSuffix')}`, { exact: true }).fill(finding.reason);
  await editor.getByTestId('entry-save').click();
  await editor.waitFor({ state: 'detached' });
  await entry().getByTestId('entry-text').getByText(finding.revised, { exact: true }).waitFor();
  assert.match(await entry().innerText(), new RegExp(t('dossier.history.version', { version: '2' }), 'i'));

  await entry().getByTestId('entry-history-open').click();
  const history = page.getByTestId('entry-history');
  await history.waitFor();
  const versions = history.getByTestId('entry-version');
  await versions.nth(1).waitFor();
  assert.equal(await versions.count(), 2, 'both versions');
  assert.equal(await versions.nth(0).getAttribute('data-version'), '1');
  assert.equal(await versions.nth(1).getAttribute('data-version'), '2');
  for (const index of [0, 1]) {
    const version = versions.nth(index);
    assert.match(await version.getByTestId('entry-version-author').innerText(), new RegExp(`${owner.name} \\(${t('roles.owner')}\\)`));
    assert.match(await version.getByTestId('entry-version-recorded').innerText(), /\d{1,2} \w{3} \d{4}, \d{2}:\d{2}/, 'the time it was recorded');
  }
  assert.equal(await versions.nth(0).getByTestId('entry-text').innerText(), finding.text);
  assert.equal(await versions.nth(1).getByTestId('entry-text').innerText(), finding.revised);
  assert.equal(await versions.nth(1).getByTestId('entry-version-reason').innerText(), t('dossier.history.changeReason', { reason: finding.reason }));
  await shot(page, 'dossier-03-history');
  await page.keyboard.press('Escape');
  await history.waitFor({ state: 'detached' });
});

test('marks it as entered in error with a reason: it stays, struck through, the reason in words', async () => {
  const reason = 'Written in the wrong patient';
  await entry().getByTestId('entry-entered-in-error').click();
  const dialog = page.getByTestId('entered-in-error-dialog');
  await dialog.waitFor();
  // No reason, no marking.
  await dialog.getByTestId('entered-in-error-submit').click();
  await dialog.getByText(t('validation.required'), { exact: true }).waitFor();
  await dialog.getByLabel(t('dossier.enteredInError.reason'), { exact: true }).fill(reason);
  await shot(page, 'dossier-04-entered-in-error-dialog');
  await dialog.getByTestId('entered-in-error-submit').click();
  await dialog.waitFor({ state: 'detached' });

  await page.locator('[data-testid="dossier-entry"][data-status="entered_in_error"]').waitFor();
  assert.equal(await entry().getByTestId('entry-in-error-badge').textContent(), t('dossier.enteredInError.label'), 'said in words, not by the line alone');
  assert.equal(await entry().getByTestId('entry-in-error-reason').innerText(), t('dossier.enteredInError.reasonShown', { reason }));
  assert.equal(await entry().getByTestId('entry-content').evaluate((node) => getComputedStyle(node).textDecorationLine), 'line-through');
  assert.equal(await entry().getByTestId('entry-revise').count(), 0, 'no more revisions');

  await entry().getByTestId('entry-history-open').click();
  const history = page.getByTestId('entry-history');
  await history.getByTestId('entry-history-error').waitFor();
  assert.match(await history.getByTestId('entry-history-error').innerText(), new RegExp(reason));
  await history.getByTestId('entry-version').nth(1).waitFor();
  assert.equal(await history.getByTestId('entry-version').count(), 2, 'every version stays readable');
  await shot(page, 'dossier-05-entered-in-error');
  await page.keyboard.press('Escape');
  await history.waitFor({ state: 'detached' });
});

test('outside the care team the timeline is closed; emergency access opens it until ended', async () => {
  await page.getByTestId('tab-care-team').click();
  const row = page.getByTestId('care-team-row').filter({ hasText: owner.name });
  await row.getByTestId('care-team-remove').click();
  await page.getByTestId('care-team-empty').waitFor();

  await page.getByTestId('tab-timeline').click();
  const closed = page.getByTestId('care-team-required');
  await closed.waitFor();
  assert.match(await closed.innerText(), new RegExp(escape(t('errors.CARE_TEAM_REQUIRED'))));
  await shot(page, 'dossier-06-care-team-required');

  await closed.getByTestId('break-glass-open').click();
  const dialog = page.getByTestId('break-glass-dialog');
  await dialog.waitFor();
  // "Another reason" needs words.
  await dialog.getByLabel(t('breakGlass.reasonCode'), { exact: true }).selectOption('other');
  await dialog.getByTestId('break-glass-submit').click();
  await dialog.getByText(t('breakGlass.reasonTextRequired'), { exact: true }).waitFor();
  await dialog.getByLabel(t('breakGlass.reasonText'), { exact: true }).fill('Patient collapsed in the waiting room; the usual practitioner is away.');
  await shot(page, 'dossier-07-break-glass-dialog');
  await dialog.getByTestId('break-glass-submit').click();

  const banner = page.getByTestId('break-glass-banner');
  await readyAfterStepUp(page, banner, appSecret);
  assert.match(await page.getByTestId('break-glass-remaining').innerText(), /\d+ minutes? left/);
  await entry().waitFor();
  await shot(page, 'dossier-08-break-glass-banner');

  await banner.getByTestId('break-glass-end').click();
  await banner.waitFor({ state: 'detached' });
  await page.getByTestId('care-team-required').waitFor();
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
