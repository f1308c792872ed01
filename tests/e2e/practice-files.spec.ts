import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { answerWithApp, baseUrl, enrolAppAtFirstSignIn, launchBrowser, linkFromOutbox, messages, readyAfterStepUp, shot, testShowingFailures, uniqueSuffix } from './support.ts';

/**
 * The practice's own files: the owner uploads a treatment agreement, downloads exactly the same
 * bytes, is told in words why a program cannot be uploaded (and a too-large file is refused
 * before it is sent), an assistant sees the file with only a download link, the owner deletes
 * it after confirming, and the audit trail names all of it.
 */
const t = messages('en');
const id = uniqueSuffix();
const practice = { name: `Praktijk Het Baken ${id}`, owner: { name: `Sanne Mulder ${id}`, email: `sanne-${id}@baken.example`, password: `Lighthouse pebble ${id} tide` } };
const assistant = { name: `Joris Smit ${id}`, email: `joris-${id}@baken.example`, password: `Meadow kettle ${id} window` };
const pdfName = `Behandelovereenkomst ${id}.pdf`;
const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Title (Test) >> endobj\n%%EOF\n', 'latin1');
let browser: Browser;
const contexts: BrowserContext[] = [];
const pages: Page[] = [];
const test = testShowingFailures('files', () => pages);

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
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  pages.push(page);
  return page;
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  const form = page.getByTestId('login-form');
  await form.getByLabel(t('fields.email'), { exact: true }).fill(email);
  await form.getByLabel(t('fields.password'), { exact: true }).fill(password);
  await form.getByRole('button', { name: t('login.submit') }).click();
  // The practice requires a second factor: set up at the first sign-in, answered afterwards.
  const secret = appSecrets.get(email);
  if (secret) await answerWithApp(page, secret);
  else appSecrets.set(email, await enrolAppAtFirstSignIn(page, 'en', `files-00-enrolment-${appSecrets.size}`));
  await page.getByTestId('organisation-name').waitFor();
}

/** Each person's authenticator-app key. */
const appSecrets = new Map<string, string>();

async function openPracticeFiles(page: Page): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: t('nav.files'), exact: true }).click();
  await page.getByRole('heading', { level: 1, name: t('files.title') }).waitFor();
}

const row = (page: Page, name: string) => page.getByTestId('file-row').filter({ has: page.getByTestId('file-name').getByText(name, { exact: true }) });

let owner: Page;

test('the owner signs up and finds an empty Practice files page with the limits stated', async () => {
  owner = await newPage();
  await owner.goto(`${baseUrl}/signup`);
  const form = owner.getByTestId('signup-form');
  await form.getByLabel(t('fields.practiceName'), { exact: true }).fill(practice.name);
  await form.getByLabel(t('fields.street'), { exact: true }).fill('Havenstraat 8');
  await form.getByLabel(t('fields.postalCode'), { exact: true }).fill('1781 AA');
  await form.getByLabel(t('fields.city'), { exact: true }).fill('Den Helder');
  await form.getByLabel(t('fields.country'), { exact: true }).selectOption('NL');
  await form.getByLabel(t('fields.practiceKind'), { exact: true }).selectOption('physiotherapy');
  await form.getByLabel(t('fields.fullName'), { exact: true }).fill(practice.owner.name);
  await form.getByLabel(t('fields.email'), { exact: true }).fill(practice.owner.email);
  await form.getByLabel(t('fields.phone'), { exact: true }).fill('+31 223 123 456');
  await form.getByLabel(t('fields.profession'), { exact: true }).fill('Physiotherapist');
  await form.getByLabel(t('fields.password'), { exact: true }).fill(practice.owner.password);
  await form.getByRole('checkbox').nth(0).check();
  await form.getByRole('checkbox').nth(1).check();
  await form.getByRole('button', { name: t('signup.submit') }).click();
  await owner.getByTestId('signup-done').waitFor();
  await owner.goto(await linkFromOutbox(practice.owner.email, '/verify-email#token='));
  await owner.getByTestId('verify-success').waitFor();
  await signIn(owner, practice.owner.email, practice.owner.password);

  await openPracticeFiles(owner);
  assert.equal(new URL(owner.url()).pathname, '/organisation/files');
  await owner.getByTestId('files-empty').waitFor();
  assert.match(await owner.getByTestId('files-empty').innerText(), new RegExp(t('files.empty.title')));
  assert.match(await owner.getByTestId('files-empty').innerText(), new RegExp(escape(t('files.empty.managerHint'))));
  assert.match(await owner.getByTestId('files-security-note').innerText(), new RegExp(escape(t('files.securityNote'))));
  const limits = await owner.getByTestId('files-upload-limits').innerText();
  assert.match(limits, /PDF/);
  assert.match(limits, /25 MB/, `the default limit is stated (${limits})`);
  await shot(owner, 'files-01-empty');
});

test('uploads a PDF, sees it listed, and downloads exactly the same bytes', async () => {
  await owner.getByTestId('files-upload-input').setInputFiles({ name: pdfName, mimeType: 'application/pdf', buffer: pdf });
  await owner.getByText(t('files.upload.done', { name: pdfName }), { exact: true }).waitFor();
  const uploaded = row(owner, pdfName);
  await uploaded.waitFor();
  assert.equal(await uploaded.getByTestId('file-kind').innerText(), t('files.types.pdf'), 'the kind is named in words');
  assert.equal(await uploaded.getByTestId('file-size').innerText(), `${pdf.length} bytes`);
  assert.equal(await uploaded.getByTestId('file-uploaded-by').innerText(), t('files.uploadedBy', { name: practice.owner.name }));
  await shot(owner, 'files-02-uploaded');

  const [download] = await Promise.all([owner.waitForEvent('download'), uploaded.getByTestId('file-download').click()]);
  assert.equal(download.suggestedFilename(), pdfName);
  const path = await download.path();
  assert.ok(path, 'the download finished');
  assert.deepEqual(await readFile(path), pdf, 'the downloaded bytes are the uploaded ones');
});

test('a program is refused with the translated reason, a too-large file before it is sent', async () => {
  const exe = Buffer.concat([Buffer.from('MZ', 'latin1'), Buffer.alloc(510)]);
  await owner.getByTestId('files-upload-input').setInputFiles({ name: 'setup.exe', mimeType: 'application/octet-stream', buffer: exe });
  const error = owner.getByTestId('files-upload-error');
  await error.waitFor();
  assert.match(await error.innerText(), new RegExp(escape(t('errors.FILE_TYPE_NOT_ALLOWED'))));
  assert.match(await error.innerText(), new RegExp(escape(t('files.upload.failed', { name: 'setup.exe' }))));
  await shot(owner, 'files-03-not-allowed');

  const posts: string[] = [];
  owner.on('request', (request) => {
    if (request.method() === 'POST' && request.url().includes('/organisation/files')) posts.push(request.url());
  });
  await owner.getByTestId('files-upload-input').setInputFiles({ name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(25 * 1024 * 1024 + 1) });
  await owner.getByTestId('files-upload-error').getByText(/25 MB/).waitFor();
  assert.match(await owner.getByTestId('files-upload-error').innerText(), new RegExp(escape(t('files.upload.failed', { name: 'scan.pdf' }))));
  assert.deepEqual(posts, [], 'nothing was sent');
  assert.equal(await owner.getByTestId('file-row').count(), 1, 'still just the one file');
});

test('an assistant sees the file and can download it, but cannot upload or delete', async () => {
  await owner.goto(`${baseUrl}/staff`);
  const form = owner.getByTestId('invite-form');
  await form.getByLabel(t('fields.email'), { exact: true }).fill(assistant.email);
  await form.getByLabel(t('staff.invitations.role'), { exact: true }).selectOption('assistant');
  await form.getByRole('button', { name: t('staff.invitations.send') }).click();
  await owner.getByTestId('invitation-row').filter({ hasText: assistant.email }).waitFor();

  const page = await newPage();
  await page.goto(await linkFromOutbox(assistant.email, '/accept-invitation#token='));
  const join = page.getByTestId('accept-invitation-form');
  await join.getByLabel(t('fields.fullName'), { exact: true }).fill(assistant.name);
  await join.getByLabel(t('fields.password'), { exact: true }).fill(assistant.password);
  await join.getByRole('button', { name: t('accept.submit', { organisation: practice.name }) }).click();
  await page.getByTestId('login-notice').waitFor();
  await signIn(page, assistant.email, assistant.password);

  await openPracticeFiles(page);
  const listed = row(page, pdfName);
  await listed.waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), listed.getByTestId('file-download').click()]);
  assert.equal(download.suggestedFilename(), pdfName);
  assert.deepEqual(await readFile((await download.path()) ?? ''), pdf);
  assert.equal(await page.getByTestId('file-delete').count(), 0, 'no delete for an assistant');
  assert.equal(await page.getByTestId('files-upload').count(), 0, 'no upload for an assistant');
  assert.equal(await page.getByTestId('files-upload-input').count(), 0);
  await shot(page, 'files-04-assistant');
});

test('deletes the file after confirming, and the list is empty again', async () => {
  await owner.goto(`${baseUrl}/organisation/files`);
  await row(owner, pdfName).getByTestId('file-delete').click();
  const dialog = owner.getByTestId('file-delete-dialog');
  await dialog.waitFor();
  assert.match(await dialog.innerText(), new RegExp(escape(t('files.deleteDialog.body', { name: pdfName }))), 'the dialog names the file');
  await shot(owner, 'files-05-confirm-delete');

  // Cancelling keeps it.
  await dialog.getByTestId('file-delete-cancel').click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await row(owner, pdfName).count(), 1);

  await row(owner, pdfName).getByTestId('file-delete').click();
  await dialog.getByTestId('file-delete-confirm').click();
  await owner.getByText(t('files.deleted', { name: pdfName }), { exact: true }).waitFor();
  await owner.getByTestId('files-empty').waitFor();
  assert.equal(await owner.getByTestId('file-row').count(), 0);
});

test('the audit trail names the upload, the downloads and the deletion', async () => {
  await owner.goto(`${baseUrl}/audit`);
  await readyAfterStepUp(owner, owner.getByTestId('audit-row').first(), appSecrets.get(practice.owner.email)!);
  const actions = await owner.getByTestId('audit-row').evaluateAll((rows) => rows.map((element) => element.getAttribute('data-action')));
  for (const expected of ['file.uploaded', 'file.downloaded', 'file.deleted']) {
    assert.ok(actions.includes(expected), `audit trail shows ${expected} (has: ${actions.join(', ')})`);
  }
  const labels = await owner.getByTestId('audit-action').allInnerTexts();
  for (const key of ['file_uploaded', 'file_downloaded', 'file_deleted'] as const) {
    assert.ok(labels.includes(t(`audit.actions.${key}`)), `${key} is named in words`);
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
