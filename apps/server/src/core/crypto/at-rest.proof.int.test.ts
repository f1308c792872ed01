import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../app.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { MemoryMailer } from '../mail/mailer.ts';
import { ManualClock } from '../clock.ts';
import { MemorySmsGateway } from '../sms/memory-sms-gateway.ts';
import { createServices } from '../services.ts';
import { totpCodeAt } from '../../features/second-factor/totp.ts';
import { TestAgent } from '../../../test/support/agent.ts';
import { testBsn } from '../../../test/support/fixtures.ts';
import { sharedDatabase, sharedMasterKeys, testEngine } from '../../../test/support/harness.ts';
import { findPostgresBin } from '../../../test/support/postgres-cluster.ts';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../context.ts';

/**
 * The proof of encryption at rest: someone with the database files (or a dump) and the logs, but
 * not the master key, finds none of the personal values that went in through the API.
 */
const id = Math.random().toString(36).slice(2, 10);
const fixedMarkers = {
  practice: `Praxis Zmarkerpractice${id}`,
  street: `Zmarkerstreet${id} 12`,
  city: `Zmarkercity${id}`,
  company: `Zmarkercompany${id} GmbH`,
  registration: `HRB Zmarkerreg${id}`,
  name: `Zmarkername${id} Jansen`,
  email: `zmarkermail${id}@praxis.example`,
  phone: `+49 30 ${id.replace(/\D/g, '').padEnd(6, '7').slice(0, 6)}99`,
  newPhone: `+31 20 ${id.replace(/\D/g, '').padEnd(6, '3').slice(0, 6)}11`,
  /** A mobile number for SMS codes, as typed and as stored and sent (E.164). */
  // 06-1… is a Dutch mobile range: a random digit there could make a number that does not exist.
  mobile: `+31 6 1${id.replace(/\D/g, '').padEnd(7, '4').slice(0, 7)}`,
  mobileE164: `+3161${id.replace(/\D/g, '').padEnd(7, '4').slice(0, 7)}`,
  invitee: `zmarkerinvitee${id}@praxis.example`,
  fileName: `Zmarkerfilename${id} Behandelplan`,
  fileContent: `Zmarkerfilecontent${id} diagnosis F32.1`,
  patientFamily: `Zmarkerpatientfamily${id}`,
  patientGiven: `Zmarkerpatientgiven${id}`,
  patientEmail: `zmarkerpatient${id}@mail.example`,
  patientStreet: `Zmarkerpatientstreet${id} 4`,
  patientNotes: `Zmarkerpatientnotes${id} prefers mornings`,
  patientGender: `Zmarkergender${id}`,
  patientBsn: testBsn(),
  breakGlassReason: `Zmarkerbreakglass${id} found unconscious`,
  patientDocName: `Zmarkerpatientdocname${id} Entlassbrief`,
  patientDocContent: `Zmarkerpatientdoccontent${id} suicidal ideation`,
  patientDocTitle: `Zmarkerpatientdoctitle${id} discharge letter`,
  patientDocDescription: `Zmarkerpatientdocdescription${id} from the clinic`,
  entryText: `Zmarkerentrytext${id} reports low mood`,
  entryIcd10Text: `Zmarkericdtext${id} depressive episode`,
  entryChangeReason: `Zmarkerchangereason${id} after consultation`,
  entryErrorReason: `Zmarkererrorreason${id} wrong patient`,
  commentText: `Zmarkercommenttext${id} my diagnosis is wrong`,
  commentResolution: `Zmarkercommentresolution${id} corrected after review`,
};
/** Plus the second-factor secrets made during the run (added as they appear). */
const markers: typeof fixedMarkers & Record<string, string> = { ...fixedMarkers };

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

function hits(haystack: Buffer): string[] {
  return Object.entries(markers).filter(([, value]) => haystack.includes(Buffer.from(value)) || haystack.includes(Buffer.from(value.toLowerCase()))).map(([key]) => key);
}

/** Every cookie value the test's browser held: none may appear in the logs. */
const sessionCookies: string[] = [];

/**
 * Six-digit codes are checked in the embedded database's files only: a pg_dump and the logs are
 * full of six-digit runs (microseconds, epoch milliseconds) that a random code may match by chance.
 * code-factors.int.test.ts checks the stored hash of a code directly, on both engines.
 */
const codeMarkers: Record<string, string> = {};

async function exercise(app: FastifyInstance, mailer: MemoryMailer, sms: MemorySmsGateway, clock: ManualClock) {
  const agent = new TestAgent(app);
  const password = `Heron estuary ${id} lantern`;
  const signup = await agent.post('/api/v1/signup', {
    organisation: { name: markers.practice, street: markers.street, postalCode: '10115', city: markers.city, country: 'DE', kind: 'psychotherapy', companyName: markers.company, registrationNumber: markers.registration },
    owner: { name: markers.name, email: markers.email, phone: markers.phone, profession: 'Psychotherapeutin', password, locale: 'de' },
    acceptTerms: true, acceptDpa: true, termsVersion: '2026-11', dpaVersion: '2026-11',
  });
  expect(signup.status).toBe(202);
  expect((await agent.post('/api/v1/auth/verify-email', { token: mailer.lastToken(markers.email) })).status).toBe(200);
  const login = await agent.post('/api/v1/auth/login', { email: markers.email, password });
  expect(login.status).toBe(200);
  // The owner sets up an authenticator app. Its secret and the recovery codes join the markers
  // (the secret is sealed, the codes kept only as hashes).
  const setup = await agent.post('/api/v1/me/totp/setup');
  expect(setup.status).toBe(200);
  const confirmed = await agent.post('/api/v1/me/totp/confirm', { code: totpCodeAt(setup.body.secret, clock.now()) });
  expect(confirmed.status).toBe(200);
  markers.totpSecret = setup.body.secret;
  confirmed.body.recoveryCodes.forEach((code: string, index: number) => {
    markers[`recoveryCode${index}`] = code;
    markers[`recoveryCodeTyped${index}`] = code.replaceAll('-', '');
  });
  // A phone for SMS codes, and codes by e-mail (once the practice allows them): the number is
  // sealed, the codes are kept only as keyed hashes.
  expect((await agent.post('/api/v1/me/phone', { phoneNumber: markers.mobile })).status).toBe(200);
  codeMarkers.smsSetupCode = sms.lastCode(markers.mobileE164, 'verify_phone');
  expect((await agent.post('/api/v1/me/phone/confirm', { code: codeMarkers.smsSetupCode })).status).toBe(200);
  expect((await agent.get('/api/v1/me/security')).body.phone.masked).not.toContain(markers.mobileE164.slice(4, 10));
  const policy = (await agent.get('/api/v1/organisation/security-policy')).body;
  const allowEmail = await agent.put('/api/v1/organisation/security-policy', { ...policy, allowedFactors: { ...policy.allowedFactors, staff: ['passkey', 'totp', 'sms', 'email_code'] } });
  expect(allowEmail.status, JSON.stringify(allowEmail.body)).toBe(200);
  expect((await agent.post('/api/v1/me/email-code/setup')).status).toBe(200);
  codeMarkers.emailSetupCode = /Code: (\d{6})/.exec(mailer.last(markers.email, 'second_factor_code')!.text)![1]!;
  expect((await agent.post('/api/v1/me/email-code/confirm', { code: codeMarkers.emailSetupCode })).status).toBe(200);
  // A sign-in code sent and not (yet) used: its hash stays in the table.
  clock.advance(31_000);
  const waiting = new TestAgent(app);
  expect((await waiting.post('/api/v1/auth/login', { email: markers.email, password })).body.status).toBe('second_factor_required');
  expect((await waiting.post('/api/v1/auth/second-factor/send', { method: 'sms' })).status).toBe(200);
  codeMarkers.smsSignInCode = sms.lastCode(markers.mobileE164, 'login_code');
  // Everything reads back in clear through the API …
  expect(login.body.me.account).toMatchObject({ name: markers.name, email: markers.email, phone: markers.phone });
  expect((await agent.get('/api/v1/organisation')).body).toMatchObject({ name: markers.practice, street: markers.street, city: markers.city, companyName: markers.company });
  expect((await agent.patch('/api/v1/me', { phone: markers.newPhone })).status).toBe(200);
  expect((await agent.post('/api/v1/invitations', { email: markers.invitee, role: 'practitioner' })).status).toBe(201);
  expect((await agent.get('/api/v1/invitations')).body.invitations[0].email).toBe(markers.invitee);
  expect((await agent.get('/api/v1/staff')).body.members[0]).toMatchObject({ name: markers.name, email: markers.email });
  expect((await agent.get('/api/v1/audit-events')).body.events.some((e: { actorName: string }) => e.actorName === markers.name)).toBe(true);
  // A file: its name and its contents, larger than one encryption chunk.
  const content = Buffer.concat([Buffer.from(`%PDF-1.4\n% ${markers.fileContent}\n`), Buffer.alloc(100_000, 0x25), Buffer.from(`\n% ${markers.fileContent}\n%%EOF\n`)]);
  const uploaded = await agent.upload('/api/v1/organisation/files', { name: `${markers.fileName}.pdf`, content });
  expect(uploaded.status).toBe(201);
  expect((await agent.get('/api/v1/organisation/files')).body.files[0].name).toBe(`${markers.fileName}.pdf`);
  const download = await app.inject({ method: 'GET', url: `/api/v1/organisation/files/${uploaded.body.id}/content`, headers: { cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  expect(download.rawPayload.equals(content)).toBe(true);
  // A patient: every personal field sealed under the patient's key, found through blind indexes.
  const patient = await agent.post('/api/v1/patients', {
    name: { family: markers.patientFamily, given: markers.patientGiven },
    birthDate: '1961-07-30',
    sex: 'male',
    gender: markers.patientGender,
    contact: { email: markers.patientEmail, address: { street: markers.patientStreet, postalCode: '1011 AB', city: 'Amsterdam', country: 'NL' } },
    notes: markers.patientNotes,
    nationalId: { kind: 'bsn', value: markers.patientBsn },
  });
  expect(patient.status, JSON.stringify(patient.body)).toBe(201);
  expect((await agent.get(`/api/v1/patients/${patient.body.id}`)).body).toMatchObject({ notes: markers.patientNotes, nationalId: { value: markers.patientBsn } });
  const foundPatients = await agent.post('/api/v1/patients/search', { q: markers.patientFamily.slice(0, 12), nationalId: markers.patientBsn });
  expect(foundPatients.body.patients.map((p: { id: string }) => p.id)).toEqual([patient.body.id]);
  // Dossier entries (features/dossier): content, ICD-10 text, change and entered-in-error reasons
  // sealed under the patient key, each version for its own place.
  const entries = `/api/v1/patients/${patient.body.id}/entries`;
  const finding = await agent.post(entries, { kind: 'finding', content: { title: 'Mood', text: markers.entryText }, effectiveAt: '2026-11-20T10:00:00+01:00' });
  expect(finding.status, JSON.stringify(finding.body)).toBe(201);
  const diagnosis = await agent.post(entries, { kind: 'diagnosis', content: { icd10Code: 'F32.1', icd10Text: markers.entryIcd10Text }, effectiveAt: '2026-11-20T10:05:00+01:00' });
  expect(diagnosis.status, JSON.stringify(diagnosis.body)).toBe(201);
  const revised = await agent.put(`${entries}/${diagnosis.body.id}`, { expectedVersion: 1, content: { icd10Code: 'F32.2', icd10Text: markers.entryIcd10Text }, effectiveAt: '2026-11-20T10:05:00+01:00', changeReason: markers.entryChangeReason });
  expect(revised.status, JSON.stringify(revised.body)).toBe(200);
  expect((await agent.post(`${entries}/${finding.body.id}/entered-in-error`, { reason: markers.entryErrorReason })).status).toBe(200);
  const timeline = await agent.get(`/api/v1/patients/${patient.body.id}/dossier`);
  expect(JSON.stringify(timeline.body)).toContain(markers.entryErrorReason);
  expect((await agent.get(`${entries}/${diagnosis.body.id}/versions`)).body.versions[1].changeReason).toBe(markers.entryChangeReason);
  // A patient document (features/patient-documents): name and contents under the patient's key,
  // its title and description in the sealed content of the document entry it creates.
  const docContent = Buffer.concat([Buffer.from(`%PDF-1.4\n% ${markers.patientDocContent}\n`), Buffer.alloc(100_000, 0x25), Buffer.from(`\n% ${markers.patientDocContent}\n%%EOF\n`)]);
  const docBody = Buffer.concat([
    Buffer.from(`--zmarkerboundary\r\nContent-Disposition: form-data; name="title"\r\n\r\n${markers.patientDocTitle}\r\n`),
    Buffer.from(`--zmarkerboundary\r\nContent-Disposition: form-data; name="description"\r\n\r\n${markers.patientDocDescription}\r\n`),
    Buffer.from(`--zmarkerboundary\r\nContent-Disposition: form-data; name="file"; filename="${markers.patientDocName}.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
    docContent,
    Buffer.from('\r\n--zmarkerboundary--\r\n'),
  ]);
  const patientDoc = await agent.request('POST', `/api/v1/patients/${patient.body.id}/documents`, undefined, { rawBody: docBody, headers: { 'content-type': 'multipart/form-data; boundary=zmarkerboundary' } });
  expect(patientDoc.status, JSON.stringify(patientDoc.body)).toBe(201);
  expect(patientDoc.body).toMatchObject({ name: `${markers.patientDocName}.pdf`, title: markers.patientDocTitle, description: markers.patientDocDescription });
  const docDownload = await app.inject({ method: 'GET', url: `/api/v1/patients/${patient.body.id}/documents/${patientDoc.body.id}/content`, headers: { cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  expect(docDownload.rawPayload.equals(docContent)).toBe(true);
  // Emergency access: the owner leaves the care team and breaks the glass; the free-text reason
  // is sealed under the patient key (the audit record holds only the reason code).
  const ownMembership = (await agent.get('/api/v1/staff')).body.members.find((m: { name: string }) => m.name === markers.name).id;
  expect((await agent.delete(`/api/v1/patients/${patient.body.id}/care-team/${ownMembership}`)).status).toBe(204);
  const grant = await agent.post(`/api/v1/patients/${patient.body.id}/break-glass`, { reasonCode: 'other', reasonText: markers.breakGlassReason });
  expect(grant.status, JSON.stringify(grant.body)).toBe(201);
  expect(grant.body.reasonText).toBe(markers.breakGlassReason);
  // The patient in the portal (features/portal): a comment on a shared document and the
  // practice's answer, both sealed under the patient's key.
  expect((await agent.put(`/api/v1/patients/${patient.body.id}/documents/${patientDoc.body.id}/sharing`, { shared: true })).status).toBe(200);
  expect((await agent.post(`/api/v1/patients/${patient.body.id}/invitation`, { locale: 'de' })).status).toBe(201);
  const patientPassword = `${password}-patient`;
  const portal = new TestAgent(app);
  expect((await portal.post('/api/v1/patient-invitations/accept', { token: mailer.lastToken(markers.patientEmail, 'patient_invitation'), password: patientPassword, name: `${markers.patientGiven} ${markers.patientFamily}` })).status).toBe(200);
  const patientLogin = await portal.post('/api/v1/auth/login', { email: markers.patientEmail, password: patientPassword, organisationId: (await agent.get('/api/v1/me')).body.organisation.id });
  expect(patientLogin.body.status, JSON.stringify(patientLogin.body)).toBe('authenticated');
  const comment = await portal.post('/api/v1/portal/comments', { kind: 'correction_request', documentId: patientDoc.body.id, text: markers.commentText });
  expect(comment.status, JSON.stringify(comment.body)).toBe(201);
  const answered = await agent.post(`/api/v1/patients/${patient.body.id}/comments/${comment.body.id}/resolve`, { resolution: markers.commentResolution });
  expect(answered.status, JSON.stringify(answered.body)).toBe(200);
  expect((await portal.get('/api/v1/portal/comments')).body.comments[0]).toMatchObject({ text: markers.commentText, resolution: markers.commentResolution });
  sessionCookies.push(...portal.cookies.values());
  sessionCookies.push(...agent.cookies.values());
  // The device cookies (features/devices): in the database only as a hash bound to the account.
  expect((await agent.get('/api/v1/me/devices')).body.devices.some((device: { current: boolean }) => device.current)).toBe(true);
  markers.deviceCookie = agent.cookies.get('haven_device')!;
  markers.deviceCookieWaiting = waiting.cookies.get('haven_device')!;
  // … and login finds the account by its address through the blind index.
  expect((await new TestAgent(app).post('/api/v1/auth/login', { email: markers.email.toUpperCase(), password })).status).toBe(200);
}

describe('encryption at rest: the marker scan', () => {
  const logLines: Buffer[] = [];
  const logs = new Writable({ write: (chunk, _encoding, done) => { logLines.push(Buffer.from(chunk)); done(); } });
  let services: Services;
  let app: FastifyInstance;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'haven-proof-'));
    const mailer = new MemoryMailer();
    // In memory: the SMS outbox would hold numbers and codes in the data directory by design.
    const sms = new MemorySmsGateway();
    const clock = new ManualClock();
    const embedded = testEngine() === 'pglite';
    const config = loadConfig({ HAVEN_DATA_DIR: dataDir, HAVEN_LOG_LEVEL: 'trace', HAVEN_SERVE_WEB: 'false', HAVEN_PUBLIC_URL: 'http://haven.test' });
    services = await createServices(config, {
      mailer,
      sms,
      clock,
      masterKeys: sharedMasterKeys,
      logger: createLogger('trace', logs),
      // PGlite: a database of its own on disk, to scan its files; PostgreSQL: the shared one, dumped.
      ...(embedded ? {} : { db: await sharedDatabase() }),
    });
    app = await buildApp(services);
    await exercise(app, mailer, sms, clock);
    await app.close();
    if (embedded) await services.db.close();
  }, 120_000);
  afterAll(() => undefined);

  it.runIf(testEngine() === 'pglite')('finds no marker in the embedded database files', () => {
    const files = walk(path.join(dataDir, 'db'));
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((file) => hits(readFileSync(file)).map((marker) => `${marker} in ${path.relative(dataDir, file)}`));
    expect(found).toEqual([]);
    expect(Object.keys(codeMarkers)).toHaveLength(3);
    const codes = files.flatMap((file) => {
      const content = readFileSync(file);
      return Object.entries(codeMarkers).filter(([, code]) => content.includes(Buffer.from(code))).map(([name]) => `${name} in ${path.relative(dataDir, file)}`);
    });
    expect(codes).toEqual([]);
  });

  it.runIf(testEngine() === 'postgres' && inject('postgresSuperUrl') !== '')('finds no marker in a pg_dump of the PostgreSQL database', () => {
    const bin = findPostgresBin()!;
    // As the superuser: FORCE ROW LEVEL SECURITY refuses a dump even to the tables' owner.
    const dump = execFileSync(path.join(bin, 'pg_dump'), ['--data-only', inject('postgresSuperUrl')], { maxBuffer: 512 * 1024 * 1024, ...(process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()) } : {}) });
    expect(dump.length).toBeGreaterThan(1000);
    expect(hits(dump)).toEqual([]);
  });

  it('finds no marker in the data directory outside the database, nor in the logs', () => {
    const others = walk(dataDir).filter((file) => !file.startsWith(path.join(dataDir, 'db')));
    expect(others.flatMap((file) => hits(readFileSync(file)))).toEqual([]);
    const logText = Buffer.concat(logLines);
    expect(logText.length).toBeGreaterThan(1000); // trace level: every request was logged
    expect(hits(logText)).toEqual([]);
    expect(sessionCookies.length).toBeGreaterThan(0);
    for (const cookie of sessionCookies) expect(logText.includes(Buffer.from(cookie)), 'a cookie value in the logs').toBe(false);
  });

  it('scanned the encrypted blob store too', () => {
    const blobs = walk(services.config.blobDir);
    expect(blobs.length).toBeGreaterThan(0);
    expect(blobs.every((file) => file.startsWith(dataDir))).toBe(true);
    expect(blobs.flatMap((file) => hits(readFileSync(file)))).toEqual([]);
  });

  it('would find the markers if they were stored in clear (the scan itself works)', () => {
    expect(hits(Buffer.from(`xx${markers.email}xx`))).toEqual(['email']);
  });
});
