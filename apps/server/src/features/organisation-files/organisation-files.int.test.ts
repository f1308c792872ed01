import { randomUUID } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../core/db/database.ts';
import { rotateOrganisationKey } from '../../core/crypto/key-rotation.ts';
import { fileMagic } from '../../core/crypto/file-stream.ts';
import type { TestResponse } from '../../../test/support/agent.ts';
import { addMember, createTestOrganisation, unique, type TestOrganisation, type TestPerson } from '../../../test/support/fixtures.ts';
import { createHarness, sharedMasterKeys, type TestHarness } from '../../../test/support/harness.ts';
import { samplePdf, sampleFiles } from '../../../test/support/sample-files.ts';

/*
 * The practice's own files, as staff use them: upload, list, download, delete — and what a
 * security officer checks: content decides the type, names are cleaned, the limit holds, files
 * are encrypted on disk, and a damaged or swapped blob is refused instead of served.
 */

const maxBytes = 700 * 1024;

let h: TestHarness;
let a: TestOrganisation;
let b: TestOrganisation;
let assistant: TestPerson;
beforeAll(async () => {
  h = await createHarness({ env: { HAVEN_UPLOAD_MAX_BYTES: String(maxBytes) } });
  a = await createTestOrganisation(h);
  b = await createTestOrganisation(h);
  assistant = await addMember(h, a, 'assistant');
});
afterAll(() => h.close());

function expectError(response: TestResponse, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.error.code).toBe(code);
  expect(response.body.error.requestId).toEqual(expect.any(String));
}

/** Every blob file on disk (temporary files included: a failed upload must leave none). */
function blobFiles(): string[] {
  const root = h.config.blobDir;
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}

const blobPath = (blobId: string) => path.join(h.config.blobDir, blobId.slice(0, 2), blobId);

async function blobIdOf(fileId: string, org: TestOrganisation = a): Promise<string> {
  const rows = await h.db.tenant(org.orgId, (tx) => queryRows<{ blob_id: string }>(tx, sql`select blob_id from organisation_files where id = ${fileId}`));
  return rows[0]!.blob_id;
}

async function upload(org: TestOrganisation, name: string, content: Buffer, type?: string) {
  return org.owner.agent.upload('/api/v1/organisation/files', { name, content, type });
}

async function uploaded(org: TestOrganisation, name: string, content: Buffer): Promise<{ id: string; name: string; contentType: string }> {
  const response = await upload(org, name, content);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

async function auditActions(org: TestOrganisation, resourceId: string): Promise<string[]> {
  const page = await org.owner.agent.get(`/api/v1/audit-events?resourceId=${resourceId}&limit=50`);
  expect(page.status).toBe(200);
  return (page.body.events as Array<{ action: string }>).map((event) => event.action).sort();
}

describe('uploading, listing and downloading', () => {
  it('stores a file and gives back exactly its bytes, as an attachment under its own name', async () => {
    const content = samplePdf(`Behandelovereenkomst ${unique()}`);
    const file = await uploaded(a, 'Behandelovereenkomst – Müller.pdf', content);
    expect(file).toMatchObject({ name: 'Behandelovereenkomst – Müller.pdf', contentType: 'application/pdf', sizeBytes: content.length });

    const list = await a.owner.agent.get('/api/v1/organisation/files');
    expect(list.status).toBe(200);
    expect(list.body.files[0]).toMatchObject({ id: file.id, name: file.name, uploadedBy: expect.stringMatching(/\S/) });
    expect(list.body.limits).toMatchObject({ maxBytes, types: expect.arrayContaining(['application/pdf', 'image/png']) });

    const download = await h.app.inject({ method: 'GET', url: `/api/v1/organisation/files/${file.id}/content`, headers: { cookie: cookieOf(a.owner) } });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(content)).toBe(true);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-length']).toBe(String(content.length));
    expect(download.headers['content-disposition']).toContain('attachment;');
    expect(download.headers['content-disposition']).toContain("filename*=UTF-8''Behandelovereenkomst%20%E2%80%93%20M%C3%BCller.pdf");
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expect(download.headers['content-security-policy']).toContain('sandbox');
    expect(download.headers['cache-control']).toBe('no-store');
    expect(await auditActions(a, file.id)).toEqual(['file.downloaded', 'file.uploaded']);
  });

  it('streams files larger than a chunk and the type sample through intact', async () => {
    const content = samplePdf('large', 650 * 1024);
    const file = await uploaded(a, 'large.pdf', content);
    const download = await h.app.inject({ method: 'GET', url: `/api/v1/organisation/files/${file.id}/content`, headers: { cookie: cookieOf(a.owner) } });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.length).toBe(content.length);
    expect(download.rawPayload.equals(content)).toBe(true);
  });

  it('lets every member read the files, and only owners and admins change them', async () => {
    const file = await uploaded(a, 'Privacy statement.pdf', samplePdf('privacy'));
    expect((await assistant.agent.get('/api/v1/organisation/files')).body.files.map((f: { id: string }) => f.id)).toContain(file.id);
    const download = await h.app.inject({ method: 'GET', url: `/api/v1/organisation/files/${file.id}/content`, headers: { cookie: cookieOf(assistant) } });
    expect(download.statusCode).toBe(200);
    expectError(await assistant.agent.upload('/api/v1/organisation/files', { name: 'x.pdf', content: samplePdf('x') }), 403, 'FORBIDDEN');
    expectError(await assistant.agent.delete(`/api/v1/organisation/files/${file.id}`), 403, 'FORBIDDEN');
    expect((await a.owner.agent.get('/api/v1/organisation/files')).body.files.map((f: { id: string }) => f.id)).toContain(file.id);
  });

  it("does not show, serve or delete one practice's file to another", async () => {
    const file = await uploaded(a, 'Internal.pdf', samplePdf('internal'));
    expect((await b.owner.agent.get('/api/v1/organisation/files')).body.files).toEqual([]);
    expectError(await b.owner.agent.get(`/api/v1/organisation/files/${file.id}/content`), 404, 'FILE_NOT_FOUND');
    expectError(await b.owner.agent.delete(`/api/v1/organisation/files/${file.id}`), 404, 'FILE_NOT_FOUND');
    const still = await h.app.inject({ method: 'GET', url: `/api/v1/organisation/files/${file.id}/content`, headers: { cookie: cookieOf(a.owner) } });
    expect(still.statusCode).toBe(200);
  });

  it('deletes a file: gone from the list, from the disk, and recorded', async () => {
    const file = await uploaded(a, 'Old template.pdf', samplePdf('old'));
    const blob = blobPath(await blobIdOf(file.id));
    expect(readFileSync(blob).subarray(0, 4).equals(fileMagic)).toBe(true);
    expect((await a.owner.agent.delete(`/api/v1/organisation/files/${file.id}`)).status).toBe(204);
    expect(blobFiles()).not.toContain(blob);
    expectError(await a.owner.agent.get(`/api/v1/organisation/files/${file.id}/content`), 404, 'FILE_NOT_FOUND');
    expectError(await a.owner.agent.delete(`/api/v1/organisation/files/${file.id}`), 404, 'FILE_NOT_FOUND');
    expect(await auditActions(a, file.id)).toEqual(['file.deleted', 'file.uploaded']);
  });

  it('keeps older files readable after the practice key is rotated', async () => {
    const before = await uploaded(a, 'before.pdf', samplePdf('before rotation'));
    await rotateOrganisationKey({ db: h.db, clock: h.clock, keys: h.services.keys, master: sharedMasterKeys }, { orgId: a.orgId, actor: { actorAccountId: null, actorRole: 'operator', requestId: `test:${randomUUID()}`, ip: null, userAgent: 'haven-cli' } });
    const after = await uploaded(a, 'after.pdf', samplePdf('after rotation'));
    for (const [file, text] of [[before, 'before rotation'], [after, 'after rotation']] as const) {
      const download = await h.app.inject({ method: 'GET', url: `/api/v1/organisation/files/${file.id}/content`, headers: { cookie: cookieOf(a.owner) } });
      expect(download.statusCode).toBe(200);
      expect(download.rawPayload.toString('latin1')).toContain(text);
    }
  });
});

describe('what is accepted', () => {
  it.each([
    ['scan.png', sampleFiles.png, 'image/png', 'scan.png'],
    ['Verslag.docx', sampleFiles.docx, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'Verslag.docx'],
    ['Brief.odt', sampleFiles.odt, 'application/vnd.oasis.opendocument.text', 'Brief.odt'],
    ['notes.txt', Buffer.from('Opening hours: Mon–Fri 8–17\r\n'), 'text/plain', 'notes.txt'],
    ['rates.csv', Buffer.from('code;price\n1001;85.00\n'), 'text/csv', 'rates.csv'],
    ['README', Buffer.from('plain words'), 'text/plain', 'README.txt'],
  ])('takes %s as %s', async (name, content, type, storedName) => {
    const response = await upload(a, name, content, 'application/octet-stream');
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body).toMatchObject({ contentType: type, name: storedName });
  });

  it.each([
    ['a program named as a PDF', 'invoice.pdf', sampleFiles.exe, 'application/pdf'],
    ['a zip archive', 'files.zip', sampleFiles.zip, 'application/zip'],
    ['a web page named as text', 'notes.txt', Buffer.from('<!DOCTYPE html><script>alert(1)</script>'), 'text/plain'],
    ['an SVG image', 'logo.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), 'image/svg+xml'],
    ['binary data', 'data.txt', Buffer.from([0x00, 0x01, 0x02, 0x03, 0xff]), 'text/plain'],
  ])('refuses %s, whatever the name and the claimed type say, and stores nothing', async (_what, name, content, type) => {
    const before = blobFiles().length;
    const count = (await a.owner.agent.get('/api/v1/organisation/files')).body.files.length;
    expectError(await upload(a, name, content, type), 415, 'FILE_TYPE_NOT_ALLOWED');
    expect(blobFiles()).toHaveLength(before);
    expect((await a.owner.agent.get('/api/v1/organisation/files')).body.files).toHaveLength(count);
  });

  it('takes a file of exactly the limit and refuses one byte more, keeping nothing of it', async () => {
    expect((await upload(a, 'exact.pdf', samplePdf('exact', maxBytes))).status).toBe(201);
    const before = blobFiles().length;
    expectError(await upload(a, 'over.pdf', samplePdf('over', maxBytes + 1)), 413, 'FILE_TOO_LARGE');
    expectError(await upload(a, 'far-over.pdf', samplePdf('far over', maxBytes * 3)), 413, 'FILE_TOO_LARGE');
    expect(blobFiles()).toHaveLength(before);
  });

  it('explains what is wrong with requests that carry no usable file', async () => {
    expectError(await upload(a, 'empty.pdf', Buffer.alloc(0)), 400, 'FILE_EMPTY');
    expectError(await a.owner.agent.upload('/api/v1/organisation/files', { name: 'x.pdf', content: samplePdf('x'), field: 'document' }), 400, 'FILE_REQUIRED');
    expectError(await a.owner.agent.post('/api/v1/organisation/files', { name: 'x.pdf' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await a.owner.agent.request('POST', '/api/v1/organisation/files', undefined, { rawBody: 'garbage', headers: { 'content-type': 'multipart/form-data' } }), 400, 'MALFORMED_REQUEST');
    const noParts = await a.owner.agent.request('POST', '/api/v1/organisation/files', undefined, { rawBody: '--b--\r\n', headers: { 'content-type': 'multipart/form-data; boundary=b' } });
    expectError(noParts, 400, 'FILE_REQUIRED');
    const two = await a.owner.agent.upload('/api/v1/organisation/files', { name: 'one.pdf', content: samplePdf('one') }, { name: 'two.pdf', content: samplePdf('two') });
    expectError(two, 400, 'VALIDATION_FAILED');
    expect(two.body.error.fields).toEqual([{ path: 'file', issue: 'Send one file per upload.' }]);
    const names = (await a.owner.agent.get('/api/v1/organisation/files')).body.files.map((f: { name: string }) => f.name);
    expect(names).not.toContain('one.pdf');
  });

  it('cleans file names: no paths, no invisible or reserved characters, the right extension', async () => {
    const cases: Array<[string, string]> = [
      ['../../etc/passwd.pdf', 'passwd.pdf'],
      ['C:\\Users\\dr\\Desktop\\intake.pdf', 'intake.pdf'],
      ['invoice\u202Efdp.exe', 'invoicefdp.exe.pdf'],
      ['report.exe', 'report.exe.pdf'],
      ['CON.pdf', '_CON.pdf'],
      ['  .hidden .pdf ', 'hidden.pdf'],
      ['a<b>c:d|e?.pdf', 'a_b_c_d_e_.pdf'],
      ['', 'file.pdf'],
      [`${'ä'.repeat(300)}.pdf`, `${'ä'.repeat(146)}.pdf`],
    ];
    for (const [raw, expected] of cases) {
      const response = await upload(a, raw, samplePdf('name'));
      expect(response.status, raw).toBe(201);
      expect(response.body.name, raw).toBe(expected);
    }
  });
});

describe('at rest', () => {
  it('keeps neither the contents nor the name on disk in clear', async () => {
    const marker = `MARKER${unique()}`;
    const file = await uploaded(a, `${marker}.pdf`, samplePdf(marker, 200 * 1024));
    const blob = readFileSync(blobPath(await blobIdOf(file.id)));
    expect(blob.subarray(0, 4).equals(fileMagic)).toBe(true);
    expect(blob.includes(Buffer.from(marker))).toBe(false);
    for (const other of blobFiles()) expect(readFileSync(other).includes(Buffer.from(marker)), other).toBe(false);
  });

  it('refuses to serve a damaged blob: a 500 with a request id and not a byte of content', async () => {
    const file = await uploaded(a, 'tampered.pdf', samplePdf(`tampered ${unique()}`));
    const blob = blobPath(await blobIdOf(file.id));
    const bytes = readFileSync(blob);
    bytes[bytes.length - 20]! ^= 0x01;
    writeFileSync(blob, bytes);
    const response = await a.owner.agent.get(`/api/v1/organisation/files/${file.id}/content`);
    expectError(response, 500, 'INTERNAL');
    expect(JSON.stringify(response.body)).not.toContain('tampered');
  });

  it('refuses a blob swapped in from another file, or from another practice', async () => {
    const victim = await uploaded(a, 'victim.pdf', samplePdf('victim'));
    const sameOrg = await uploaded(a, 'other.pdf', samplePdf('SAME-PRACTICE-SECRET'));
    const otherOrg = await uploaded(b, 'foreign.pdf', samplePdf('OTHER-PRACTICE-SECRET'));
    const victimBlob = blobPath(await blobIdOf(victim.id));
    const foreignBlobId = await blobIdOf(otherOrg.id, b);
    for (const source of [blobPath(await blobIdOf(sameOrg.id)), blobPath(foreignBlobId)]) {
      copyFileSync(source, victimBlob);
      const response = await a.owner.agent.get(`/api/v1/organisation/files/${victim.id}/content`);
      expectError(response, 500, 'INTERNAL');
      expect(JSON.stringify(response.body)).not.toMatch(/SECRET/);
    }
  });
});

/** The session cookies of a person's agent, for raw `inject` calls that need the bytes. */
function cookieOf(person: TestPerson): string {
  return [...person.agent.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
}
