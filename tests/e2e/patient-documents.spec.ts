import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { baseUrl, launchBrowser, messages, openNewPractice, shot, uniqueSuffix } from './support.ts';

/**
 * A patient's documents: the owner registers a patient (and so joins the care team), opens the
 * Documents tab, uploads a PDF with a title, finds it in the list and the timeline, downloads
 * exactly the same bytes, and shares it with the patient — the tab says in plain words what
 * sharing means while patients cannot sign in yet.
 */
const t = messages('en');
const id = uniqueSuffix();
const owner = { name: `Lotte Bakker ${id}`, email: `lotte-${id}@duin.example`, password: `Dune lantern ${id} shell` };
const patient = { family: `Smits ${id}`, given: 'Pieter', birthDate: '1971-09-05' };
const pdfName = `Ontslagbrief ${id}.pdf`;
const title = `Discharge letter ${id}`;
const pdf = Buffer.from(`%PDF-1.4\n1 0 obj << /Title (Discharge ${id}) >> endobj\n%%EOF\n`, 'latin1');
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

const row = () => page.getByTestId('document-row').filter({ has: page.getByTestId('document-title').getByText(title, { exact: true }) });

test('the owner registers a patient and finds an empty Documents tab with the limits stated', async () => {
  const context = await browser.newContext({ locale: 'en-GB', acceptDownloads: true });
  contexts.push(context);
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await openNewPractice(page, {
    name: `Praktijk De Duinen ${id}`,
    street: 'Duinweg 2',
    postalCode: '2042 AB',
    city: 'Zandvoort',
    country: 'NL',
    kind: 'general_practice',
    owner,
    phone: '+31 23 123 4567',
    profession: 'GP',
  }, 'documents-00-enrolment');

  await page.goto(`${baseUrl}/patients/new`);
  const form = page.getByTestId('new-patient-form');
  await form.getByLabel(t('patients.fields.familyName'), { exact: true }).fill(patient.family);
  await form.getByLabel(t('patients.fields.givenName'), { exact: true }).fill(patient.given);
  await form.getByLabel(t('patients.fields.birthDate'), { exact: true }).fill(patient.birthDate);
  await form.getByLabel(t('patients.fields.sex'), { exact: true }).selectOption('male');
  await page.getByTestId('new-patient-submit').click();
  await page.getByRole('heading', { level: 1, name: `${patient.family}, ${patient.given}` }).waitFor();

  await page.getByTestId('tab-documents').click();
  await page.getByTestId('documents-empty').waitFor();
  const limits = await page.getByTestId('documents-upload-limits').innerText();
  assert.match(limits, /PDF/);
  assert.match(limits, /25 MB/, `the default limit is stated (${limits})`);
  await shot(page, 'documents-01-empty');
});

test('uploads a PDF with a title, sees it listed and in the timeline, and downloads the same bytes', async () => {
  await page.getByTestId('documents-upload-input').setInputFiles({ name: pdfName, mimeType: 'application/pdf', buffer: pdf });
  await page.getByTestId('documents-chosen').getByText(new RegExp(escape(pdfName))).waitFor();
  await page.getByTestId('documents-title').fill(title);
  await page.getByTestId('documents-upload-button').click();
  await page.getByText(t('documents.upload.done', { name: title }), { exact: true }).waitFor();
  const listed = row();
  await listed.waitFor();
  assert.match(await listed.getByTestId('document-file').innerText(), new RegExp(escape(pdfName)));
  await shot(page, 'documents-02-uploaded');

  const [download] = await Promise.all([page.waitForEvent('download'), listed.getByTestId('document-download').click()]);
  assert.equal(download.suggestedFilename(), pdfName);
  const path = await download.path();
  assert.ok(path, 'the download finished');
  assert.deepEqual(await readFile(path), pdf, 'the downloaded bytes are the uploaded ones');

  await page.getByTestId('tab-timeline').click();
  await page.getByTestId('entry-heading').getByText(title, { exact: true }).waitFor();
  await page.getByTestId('tab-documents').click();
  await row().waitFor();
});

test('previews the PDF in the page and a text file as text, without downloading either', async () => {
  await row().getByTestId('document-preview').click();
  const dialog = page.getByTestId('file-preview');
  const frame = dialog.getByTestId('file-preview-pdf');
  await frame.waitFor();
  // The browser's own viewer shows an object URL of the bytes the page fetched with the session.
  assert.match((await frame.getAttribute('src')) ?? '', /^blob:/);
  await shot(page, 'documents-03a-preview-pdf');
  await dialog.getByRole('button', { name: t('filePreview.close') }).click();
  await dialog.waitFor({ state: 'hidden' });

  const noteTitle = `Blood pressure readings ${id}`;
  const readings = `date,systolic,diastolic\n2026-11-01,128,84\n2026-11-08,131,86 ${id}\n`;
  await page.getByTestId('documents-upload-input').setInputFiles({ name: `readings-${id}.csv`, mimeType: 'text/csv', buffer: Buffer.from(readings) });
  await page.getByTestId('documents-title').fill(noteTitle);
  await page.getByTestId('documents-upload-button').click();
  await page.getByText(t('documents.upload.done', { name: noteTitle }), { exact: true }).waitFor();
  const csvRow = page.getByTestId('document-row').filter({ has: page.getByTestId('document-title').getByText(noteTitle, { exact: true }) });
  await csvRow.getByTestId('document-preview').click();
  const text = dialog.getByTestId('file-preview-text');
  await text.waitFor();
  assert.equal((await text.innerText()).trimEnd(), readings.trimEnd());
  await shot(page, 'documents-03b-preview-text');
  await dialog.getByRole('button', { name: t('filePreview.close') }).click();
  await dialog.waitFor({ state: 'hidden' });
});

test('shares the document with the patient, explained in plain words, and stops sharing it', async () => {
  assert.match(await page.getByTestId('documents-share-explanation').innerText(), new RegExp(escape(t('documents.share.explanation'))));
  const toggle = row().getByRole('switch', { name: t('documents.share.label') });
  assert.equal(await toggle.isChecked(), false);
  await toggle.click({ force: true }); // Mantine draws the track over the native input
  await page.getByText(t('documents.share.shared', { name: title }), { exact: true }).waitFor();
  await page.waitForFunction((input) => (input as HTMLInputElement | null)?.checked === true, await toggle.elementHandle());
  assert.match(await row().innerText(), /Shared on .* by /);
  await shot(page, 'documents-03-shared');

  // After a reload the server's state is shown: still shared.
  await page.reload();
  await page.getByTestId('tab-documents').click();
  await row().waitFor();
  assert.equal(await row().getByRole('switch', { name: t('documents.share.label') }).isChecked(), true);

  await row().getByRole('switch', { name: t('documents.share.label') }).click({ force: true });
  await page.getByText(t('documents.share.unshared', { name: title }), { exact: true }).waitFor();
  await row().getByText(t('documents.share.notShared')).waitFor();
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
