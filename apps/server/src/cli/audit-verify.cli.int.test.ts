import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import { loadConfig } from '../core/config.ts';
import { MemoryMailer } from '../core/mail/mailer.ts';
import { createServices } from '../core/services.ts';
import { TestAgent } from '../../test/support/agent.ts';
import { signupBody } from '../../test/support/fixtures.ts';
import { testEngine } from '../../test/support/harness.ts';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/haven.mjs');

/** `npx haven audit verify` against a real data directory, as an operator would run it. */
describe.runIf(testEngine() === 'pglite')('haven audit verify (command line)', () => {
  let dataDir: string;
  let orgId: string;
  const env = () => ({ ...process.env, HAVEN_DATA_DIR: dataDir, HAVEN_LOG_LEVEL: 'silent', NODE_ENV: 'development' });
  const haven = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { env: env(), encoding: 'utf8', timeout: 60_000 });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'haven-cli-'));
    const config = loadConfig({ HAVEN_DATA_DIR: dataDir, HAVEN_LOG_LEVEL: 'silent', HAVEN_SERVE_WEB: 'false' });
    const mailer = new MemoryMailer();
    const services = await createServices(config, { mailer });
    const app = await buildApp(services);
    const agent = new TestAgent(app);
    const body = signupBody();
    expect((await agent.post('/api/v1/signup', body)).status).toBe(202);
    await agent.post('/api/v1/auth/verify-email', { token: mailer.lastToken(body.owner.email) });
    const login = await agent.post('/api/v1/auth/login', { email: body.owner.email, password: body.owner.password });
    orgId = login.body.me.organisation.id;
    await agent.get('/api/v1/audit-events');
    await app.close();
    await services.db.close();
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('migrates: an up-to-date database says so', () => {
    const result = haven('migrate');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('The database is up to date.');
  }, 60_000);

  it('lists the outbox (empty here: this setup mailed to memory)', () => {
    const result = haven('outbox');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('is empty');
  }, 60_000);

  it('seals, verifies a clean trail, then names the record someone changed', async () => {
    const seal = haven('audit', 'seal');
    expect(seal.status, seal.stderr).toBe(0);
    const clean = haven('audit', 'verify');
    expect(clean.status, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/All \d+ audit chain\(s\) verified/);

    const raw = await PGlite.create(path.join(dataDir, 'db'));
    const [row] = (await raw.query<{ id: number }>(`select id from audit_events where org_id = $1 order by id limit 1 offset 1`, [orgId])).rows;
    await raw.query(`update audit_events set outcome = 'denied' where org_id = $1 and id = $2`, [orgId, row!.id]);
    await raw.close();

    const tampered = haven('audit', 'verify', '--org', orgId);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toContain(`FAIL ${orgId}: record ${row!.id}`);
    expect(tampered.stdout).toContain('was changed');
  }, 120_000);

  it('refuses to open the database while another process holds it', async () => {
    const raw = await import('../core/db/lock-file.ts');
    const lock = raw.DataDirLock.acquire(path.join(dataDir, 'db'));
    try {
      // Our own pid holds it, so the child (another pid) must refuse.
      const result = haven('audit', 'verify');
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('in use by another Haven process');
    } finally {
      lock.release();
    }
  }, 60_000);
});
