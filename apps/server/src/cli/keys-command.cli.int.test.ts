import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import { loadConfig } from '../core/config.ts';
import { MemoryMailer } from '../core/mail/mailer.ts';
import { createServices } from '../core/services.ts';
import { totpCodeAt } from '../features/second-factor/totp.ts';
import { TestAgent } from '../../test/support/agent.ts';
import { signupBody } from '../../test/support/fixtures.ts';
import { testEngine } from '../../test/support/harness.ts';
import { runKeysCommand } from './keys-command.ts';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/haven.mjs');

/** `npx haven keys …` against a real data directory, as an operator would run it. */
describe.runIf(testEngine() === 'pglite')('haven keys (command line)', () => {
  let dataDir: string;
  let orgId: string;
  let patientId: string;
  let login: { email: string; password: string };
  let recoveryCode = '';
  const env = (extra: Record<string, string> = {}) => ({ ...process.env, HAVEN_DATA_DIR: dataDir, HAVEN_LOG_LEVEL: 'silent', NODE_ENV: 'development', ...extra });
  const haven = (args: string[], extra: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, 'keys', ...args], { env: env(extra), encoding: 'utf8', timeout: 60_000 });
  const keyFile = () => path.join(dataDir, 'keys', 'master.key');
  const config = () => loadConfig({ HAVEN_DATA_DIR: dataDir, HAVEN_LOG_LEVEL: 'silent', HAVEN_SERVE_WEB: 'false' });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'haven-cli-keys-'));
    const mailer = new MemoryMailer();
    const services = await createServices(config(), { mailer });
    const app = await buildApp(services);
    const agent = new TestAgent(app);
    const body = signupBody();
    login = { email: body.owner.email, password: body.owner.password };
    expect((await agent.post('/api/v1/signup', body)).status).toBe(202);
    await agent.post('/api/v1/auth/verify-email', { token: mailer.lastToken(body.owner.email) });
    orgId = (await agent.post('/api/v1/auth/login', login)).body.me.organisation.id;
    // Set up an authenticator app (sign-in then asks for it); keep a recovery code for later.
    const setup = await agent.post('/api/v1/me/totp/setup');
    const confirmed = await agent.post('/api/v1/me/totp/confirm', { code: totpCodeAt(setup.body.secret, new Date()) });
    expect(confirmed.status).toBe(200);
    recoveryCode = confirmed.body.recoveryCodes[0];
    patientId = randomUUID();
    await services.db.tenant(orgId, (tx) => services.keys.createPatientKey(tx, orgId, patientId, services.clock.now()));
    await app.close();
    await services.db.close();
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses wrong usage with exit 2, before touching anything', () => {
    const cases: [string[], string][] = [
      [['rotate-org'], '--org is required'],
      [['rotate-org', '--org', 'acme'], '--org must be an id'],
      [['shred-patient', '--org', randomUUID(), '--patient', randomUUID()], '--reason is required'],
      [['frobnicate'], 'Unknown keys command: frobnicate'],
    ];
    for (const [args, message] of cases) {
      const result = haven(args);
      expect(result.status, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('Usage:');
    }
  }, 120_000);

  it('rotates an organisation key and says which version is new', () => {
    const result = haven(['rotate-org', '--org', orgId]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Organisation ${orgId}: key version 1 → 2.`);
    expect(result.stdout).toContain('Re-wrapped 1 patient key(s) under version 2.');
  }, 60_000);

  it('exits 1 naming an organisation that does not exist', () => {
    const unknown = randomUUID();
    const result = haven(['rotate-org', '--org', unknown]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`there is no organisation ${unknown}`);
  }, 60_000);

  it('refuses rotate-master with HAVEN_MASTER_KEY and says what to set instead', () => {
    const result = haven(['rotate-master'], { HAVEN_MASTER_KEY: readFileSync(keyFile(), 'utf8') });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('HAVEN_MASTER_KEY=1:<old key>,2:<new key>');
    expect(readFileSync(keyFile(), 'utf8').match(/^\d+:/gm)).toEqual(['1:']);
  }, 60_000);

  it('adds a master key version to data/keys/master.key and re-wraps everything under it', () => {
    const result = haven(['rotate-master']);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(readFileSync(keyFile(), 'utf8').match(/^\d+:/gm)).toEqual(['1:', '2:']);
    expect(statSync(keyFile()).mode & 0o777).toBe(0o600);
    expect(result.stdout).toContain(`Added master key version 2 to ${keyFile()}`);
    expect(result.stdout).toContain('No key is wrapped under v1 any more.');
    expect(result.stdout).toContain('Keep v1 in the master key');

    // Keys re-wrapped under version 2 open: the organisation rotates again.
    const again = haven(['rotate-org', '--org', orgId]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('key version 2 → 3.');
  }, 120_000);

  it('--rewrap-only adds no version (in process: the flag is parsed by main.ts)', async () => {
    const out: string[] = [];
    const code = await runKeysCommand(config(), 'rotate-master', { rewrapOnly: true }, { out: (text) => out.push(text), err: (text) => out.push(text) });
    expect(code, out.join('')).toBe(0);
    expect(out.join('')).toContain('Re-wrapped under master key version 2: 0 platform key(s), 0 organisation key(s)');
    expect(readFileSync(keyFile(), 'utf8').match(/^\d+:/gm)).toEqual(['1:', '2:']);
  }, 60_000);

  it("shreds a patient's key once; again is a no-op; an unknown patient exits 1", () => {
    const shred = haven(['shred-patient', '--org', orgId, '--patient', patientId, '--reason', 'erasure request 2026-11']);
    expect(shred.status, shred.stderr).toBe(0);
    expect(shred.stdout).toContain(`Shredded patient ${patientId}'s key`);
    const again = haven(['shred-patient', '--org', orgId, '--patient', patientId, '--reason', 'erasure request 2026-11']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('already shredded');
    const unknown = haven(['shred-patient', '--org', orgId, '--patient', randomUUID(), '--reason', 'x']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('has no key for patient');
  }, 120_000);

  it('leaves an audit trail that verifies, and a server that starts and logs in', async () => {
    const seal = spawnSync(process.execPath, [bin, 'audit', 'seal'], { env: env(), encoding: 'utf8', timeout: 60_000 });
    expect(seal.status, seal.stderr).toBe(0);
    const verify = spawnSync(process.execPath, [bin, 'audit', 'verify'], { env: env(), encoding: 'utf8', timeout: 60_000 });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);

    const services = await createServices(config(), { mailer: new MemoryMailer() });
    try {
      const app = await buildApp(services);
      const agent = new TestAgent(app);
      expect((await agent.post('/api/v1/auth/login', login)).status).toBe(200);
      expect((await agent.post('/api/v1/auth/second-factor', { method: 'recovery_code', code: recoveryCode })).status).toBe(200);
      const audit = await agent.get('/api/v1/audit-events?action=keys.org_rotated');
      expect(audit.status).toBe(200);
      expect(audit.body.events.map((event: { reason: string }) => event.reason)).toEqual(expect.arrayContaining(['v1 → v2', 'v2 → v3']));
      expect(audit.body.events[0]).toMatchObject({ actorRole: 'operator', actorAccountId: null });
      await app.close();
    } finally {
      await services.db.close();
    }
  }, 120_000);

  it("shreds a practice's keys at contract end (last: the practice is unreadable afterwards)", () => {
    expect(haven(['shred-org', '--org', orgId]).status).toBe(2); // a reason is required
    const shred = haven(['shred-org', '--org', orgId, '--reason', 'contract ended 2026-11']);
    expect(shred.status, shred.stderr).toBe(0);
    expect(shred.stdout).toContain(`of organisation ${orgId}: its contact details and all its patients' data can no longer be read`);
    const again = haven(['shred-org', '--org', orgId, '--reason', 'again']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already shredded');
  }, 60_000);
});
