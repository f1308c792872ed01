/**
 * Foundation benchmark: login latency by outcome (the no-enumeration timing), concurrent audited
 * writes in one practice (does the audit chain make them queue?), and sealer throughput.
 * Runs on the embedded database, and on PostgreSQL when BENCH_DATABASE_URL (request role) and
 * BENCH_MIGRATION_DATABASE_URL (owner) are set. Writes bench/results/foundation.{json,md}.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../apps/server/src/app.ts';
import { randomBytes } from 'node:crypto';
import { AuditSigner } from '../apps/server/src/core/audit/signing-key.ts';
import { LocalMasterKeyProvider } from '../apps/server/src/core/crypto/key-provider.ts';
import { loadConfig } from '../apps/server/src/core/config.ts';
import { openDatabase } from '../apps/server/src/core/db/database.ts';
import { createLogger } from '../apps/server/src/core/logger.ts';
import { MemoryMailer } from '../apps/server/src/core/mail/mailer.ts';
import { createServices } from '../apps/server/src/core/services.ts';
import { TestAgent } from '../apps/server/test/support/agent.ts';
import { signupBody } from '../apps/server/test/support/fixtures.ts';
import { organisations } from '../apps/server/src/core/db/schema.ts';
import { eq as eqOp } from 'drizzle-orm';

const here = path.dirname(fileURLToPath(import.meta.url));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1));
};

async function run(engine: 'pglite' | 'postgres') {
  const db =
    engine === 'pglite'
      ? await openDatabase({ engine: 'pglite', dataDir: null, migrate: true })
      : await openDatabase({ engine: 'postgres', url: process.env.BENCH_DATABASE_URL!, migrationUrl: process.env.BENCH_MIGRATION_DATABASE_URL ?? null, migrate: true });
  const config = loadConfig({ HAVEN_DATA_DIR: '/tmp/haven-bench', HAVEN_UPLOAD_MAX_BYTES: String(32 * 1024 * 1024), HAVEN_LOG_LEVEL: 'silent', HAVEN_SERVE_WEB: 'false', HAVEN_RATE_LIMIT_PER_MINUTE: '100000', HAVEN_LOGIN_RATE_LIMIT_PER_MINUTE: '10000' });
  const mailer = new MemoryMailer();
  const services = await createServices(config, { db, mailer, signer: AuditSigner.generate(), masterKeys: LocalMasterKeyProvider.fromKeys(new Map([[1, randomBytes(32)]]), 'bench'), logger: createLogger('silent') });
  const app = await buildApp(services);

  // Practices with an owner each; their accounts take the wrong-password guesses.
  const owners: Array<{ email: string; password: string }> = [];
  for (let i = 0; i < 4; i++) {
    const body = signupBody();
    const agent = new TestAgent(app);
    await agent.post('/api/v1/signup', body);
    await agent.post('/api/v1/auth/verify-email', { token: mailer.lastToken(body.owner.email) });
    // Practices require a second factor by default. The benchmark measures the password step
    // and what comes after a sign-in, so its practices switch the rule off (as an owner may),
    // directly in the database before anyone has a factor.
    const first = await agent.post('/api/v1/auth/login', { email: body.owner.email, password: body.owner.password });
    const orgId: string = first.body.me.organisation.id;
    await db.tenant(orgId, (tx) => tx.update(organisations).set({ secondFactorRequired: false }).where(eqOp(organisations.id, orgId)));
    owners.push({ email: body.owner.email, password: body.owner.password });
  }
  const timed = async (fn: () => Promise<unknown>) => {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  };
  const samples = { correct: [] as number[], wrong: [] as number[], unknown: [] as number[] };
  for (let round = 0; round < 40; round++) {
    const owner = owners[round % owners.length]!;
    const agent = new TestAgent(app);
    await agent.get('/api/v1/auth/session');
    // Interleaved so drift affects all three alike; wrong guesses stay under the throttle (4 per account, then a success resets).
    samples.unknown.push(await timed(() => agent.post('/api/v1/auth/login', { email: `nobody-${round}@example.org`, password: 'a wrong guess here' })));
    samples.wrong.push(await timed(() => agent.post('/api/v1/auth/login', { email: owner.email, password: 'a wrong guess here' })));
    samples.correct.push(await timed(() => agent.post('/api/v1/auth/login', { email: owner.email, password: owner.password })));
  }
  const login = Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [name, { p50: percentile(values.slice(5), 50), p95: percentile(values.slice(5), 95) }]),
  );

  // 8 clients of one practice changing their profile: each change is audited in its transaction.
  const agent = new TestAgent(app);
  await agent.post('/api/v1/auth/login', owners[0]!);
  const writes = 400;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < writes) {
        next += 1;
        await agent.patch('/api/v1/me', { locale: next % 2 ? 'nl' : 'de' });
      }
    }),
  );
  const writeSeconds = (performance.now() - started) / 1000;

  const sealStart = performance.now();
  const sealed = await services.sealer.sealOnce();
  const sealSeconds = (performance.now() - sealStart) / 1000;

  // Encryption cost. (a) seal + open of a typical 1 KiB record under an organisation's data key;
  // (b) the staff list of a 30-person practice read with its names and addresses opened, against
  // the same query returning the sealed bytes untouched — the price of decryption on a read path.
  const owner = owners[0]!;
  const ownerAgent = new TestAgent(app);
  const me = (await ownerAgent.post('/api/v1/auth/login', owner)).body.me;
  const orgId: string = me.organisation.id;
  for (let i = 0; i < 29; i++) {
    const email = `colleague-${i}-${Math.random().toString(36).slice(2, 8)}@example.org`;
    await ownerAgent.post('/api/v1/invitations', { email, role: 'practitioner' });
    await new TestAgent(app).post('/api/v1/invitations/accept', { token: mailer.lastToken(email), password: `Meadow lark ${i} ${Math.random()}`, name: `Colleague Number ${i}` });
  }
  const { seal, open } = await import('../apps/server/src/core/crypto/aead.ts');
  const { listMembers } = await import('../apps/server/src/features/staff/repository.ts');
  const { accounts, memberships } = await import('../apps/server/src/core/db/schema.ts');
  const { eq } = await import('drizzle-orm');
  const keys = await db.tenant(orgId, (tx) => services.keys.organisationKeys(tx, orgId));
  const record = 'x'.repeat(1024);
  const rounds = 20_000;
  let started2 = performance.now();
  for (let i = 0; i < rounds; i++) open(keys.dataKey, keys.ref, seal(keys.dataKey, keys.ref, record, `bench:record:${orgId}:${i}`), `bench:record:${orgId}:${i}`);
  const sealOpenMicros = ((performance.now() - started2) * 1000) / rounds;
  const reads = 300;
  started2 = performance.now();
  for (let i = 0; i < reads; i++) await db.tenant(orgId, (tx) => listMembers(tx, services.fields));
  const decryptedPerSecond = reads / ((performance.now() - started2) / 1000);
  started2 = performance.now();
  for (let i = 0; i < reads; i++) {
    await db.tenant(orgId, (tx) =>
      tx.select({ id: memberships.id, name: accounts.name, email: accounts.email, role: memberships.role }).from(memberships).innerJoin(accounts, eq(accounts.id, memberships.accountId)),
    );
  }
  const plainPerSecond = reads / ((performance.now() - started2) / 1000);

  // Files: (c) the chunked stream cipher in-process against a plain pass-through of the same
  // 64 KiB chunks; (d) a 16 MiB upload and download through the API (type check, encryption,
  // blob store with fsync, audit) against writing and reading the same bytes as a plain file.
  const files = await measureFiles(ownerAgent, app, keys, orgId, config.blobDir);

  await app.close();
  await db.close();
  return {
    encryption: {
      sealOpen1KiBMicros: Number(sealOpenMicros.toFixed(1)),
      staffList30: { decryptedPerSecond: Math.round(decryptedPerSecond), plainPerSecond: Math.round(plainPerSecond), ratio: Number((decryptedPerSecond / plainPerSecond).toFixed(2)) },
    },
    files,
    engine,
    loginMs: login,
    auditedWritesPerSecond: Math.round(writes / writeSeconds),
    sealer: { records: sealed, recordsPerSecond: Math.round(sealed / sealSeconds) },
  };
}

async function measureFiles(
  ownerAgent: TestAgent,
  app: Awaited<ReturnType<typeof buildApp>>,
  keys: { ref: { keyId: string; version: number }; dataKey: Buffer },
  orgId: string,
  blobDir: string,
) {
  const { encryptStream, decryptStream } = await import('../apps/server/src/core/crypto/file-stream.ts');
  const { pipeline } = await import('node:stream/promises');
  const { PassThrough, Readable, Writable } = await import('node:stream');
  const { mkdirSync, writeFileSync: writeFile, readFileSync, rmSync, openSync, fsyncSync, closeSync } = await import('node:fs');
  const size = 16 * 1024 * 1024;
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);
  const chunks = () => Readable.from((function* () { for (let i = 0; i < size; i += 65_536) yield pdf.subarray(i, i + 65_536); })());
  const collect = (into: Buffer[]) => new Writable({ write: (chunk, _e, done) => { into.push(chunk); done(); } });
  const mibPerSecond = (ms: number) => Number((size / 1024 / 1024 / (ms / 1000)).toFixed(0));
  const best = async (fn: () => Promise<void>) => {
    let fastest = Infinity;
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      await fn();
      fastest = Math.min(fastest, performance.now() - start);
    }
    return fastest;
  };
  const sealed: Buffer[] = [];
  const plainMs = await best(() => pipeline(chunks(), new PassThrough(), collect([])));
  const encryptMs = await best(async () => {
    sealed.length = 0;
    await pipeline(chunks(), encryptStream(keys.dataKey, { keyRef: keys.ref, aad: 'bench' }), collect(sealed));
  });
  const decryptMs = await best(() => pipeline(Readable.from(sealed), decryptStream(() => keys.dataKey, { aad: 'bench' }), collect([])));

  const cookie = () => [...ownerAgent.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  let fileId = '';
  const uploadMs = await best(async () => {
    const uploaded = await ownerAgent.upload('/api/v1/organisation/files', { name: 'bench.pdf', content: pdf });
    if (uploaded.status !== 201) throw new Error(`upload failed: ${uploaded.status}`);
    fileId = uploaded.body.id;
  });
  const downloadMs = await best(async () => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/organisation/files/${fileId}/content`, headers: { cookie: cookie() } });
    if (response.rawPayload.length !== size) throw new Error('download incomplete');
  });
  // The floor: the same bytes written (with fsync, as the blob store does) and read back as a plain file.
  const plainDir = path.join(blobDir, '..', 'bench-plain');
  mkdirSync(plainDir, { recursive: true });
  const plainWriteMs = await best(async () => {
    writeFile(path.join(plainDir, 'f'), pdf);
    const fd = openSync(path.join(plainDir, 'f'), 'r');
    fsyncSync(fd);
    closeSync(fd);
  });
  const plainReadMs = await best(async () => void readFileSync(path.join(plainDir, 'f')));
  rmSync(plainDir, { recursive: true, force: true });
  void orgId;
  return {
    streamMiBps: { plain: mibPerSecond(plainMs), encrypt: mibPerSecond(encryptMs), decrypt: mibPerSecond(decryptMs) },
    api16MiB: { uploadMs: Math.round(uploadMs), downloadMs: Math.round(downloadMs), plainFileWriteMs: Math.round(plainWriteMs), plainFileReadMs: Math.round(plainReadMs) },
  };
}

const results = [await run('pglite')];
if (process.env.BENCH_DATABASE_URL) results.push(await run('postgres'));
const report = { date: new Date().toISOString(), node: process.version, results };
writeFileSync(path.join(here, 'results/foundation.json'), `${JSON.stringify(report, null, 2)}\n`);
const lines = [
  `# Foundation benchmark (${report.date.slice(0, 10)}, Node ${process.version})`,
  '',
  '| engine | login ok p50/p95 ms | wrong password p50/p95 ms | unknown e-mail p50/p95 ms | audited writes/s (8 clients, one practice) | sealer records/s |',
  '|---|---|---|---|---|---|',
  ...results.map((r) =>
    `| ${r.engine} | ${r.loginMs.correct!.p50} / ${r.loginMs.correct!.p95} | ${r.loginMs.wrong!.p50} / ${r.loginMs.wrong!.p95} | ${r.loginMs.unknown!.p50} / ${r.loginMs.unknown!.p95} | ${r.auditedWritesPerSecond} | ${r.sealer.recordsPerSecond} (${r.sealer.records} records) |`,
  ),
  '',
  '| engine | seal + open of a 1 KiB record, µs | staff list (30 people) with names opened, reads/s | same query, sealed bytes untouched, reads/s | ratio |',
  '|---|---|---|---|---|',
  ...results.map((r) => `| ${r.engine} | ${r.encryption.sealOpen1KiBMicros} | ${r.encryption.staffList30.decryptedPerSecond} | ${r.encryption.staffList30.plainPerSecond} | ${r.encryption.staffList30.ratio} |`),
  '',
  '| engine | stream MiB/s: pass-through / encrypt / decrypt | 16 MiB upload via API, ms | 16 MiB download via API, ms | plain file write+fsync / read, ms |',
  '|---|---|---|---|---|',
  ...results.map((r) => `| ${r.engine} | ${r.files.streamMiBps.plain} / ${r.files.streamMiBps.encrypt} / ${r.files.streamMiBps.decrypt} | ${r.files.api16MiB.uploadMs} | ${r.files.api16MiB.downloadMs} | ${r.files.api16MiB.plainFileWriteMs} / ${r.files.api16MiB.plainFileReadMs} |`),
  '',
];
writeFileSync(path.join(here, 'results/foundation.md'), lines.join('\n'));
process.stdout.write(lines.join('\n'));
