/**
 * Dossier benchmark (issue 5 §6): one practice with 10,000 patients × 20 entries, served by the
 * real app in separate processes and loaded with autocannon (20 connections), in one run:
 *  (a) secure dossier read  GET /api/v1/patients/:id/dossier  (patient + latest 20 entries,
 *      authorised, decrypted, audited);
 *  (b) search               POST /api/v1/patients/search  (a three-letter name prefix);
 *  (c) plain baseline       GET /api/v1/bench/plain-dossier/:id  (same guard and shape, plain
 *      columns, one statement, no decryption, no audit).
 * PGlite: one server process (one connection). PostgreSQL: two processes with 10 connections
 * each, on a throwaway cluster started durable (fsync and synchronous_commit on).
 * Afterwards the audit trail must hold exactly one dossier.viewed per successful read (a).
 * Writes bench/results/dossiers.{json,md}.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, count, eq } from 'drizzle-orm';
import { buildApp } from '../apps/server/src/app.ts';
import { AuditSigner } from '../apps/server/src/core/audit/signing-key.ts';
import { LocalMasterKeyProvider } from '../apps/server/src/core/crypto/key-provider.ts';
import { openDatabase, type Database } from '../apps/server/src/core/db/database.ts';
import { auditEvents, organisations } from '../apps/server/src/core/db/schema.ts';
import { createLogger } from '../apps/server/src/core/logger.ts';
import { MemoryMailer } from '../apps/server/src/core/mail/mailer.ts';
import { createServices } from '../apps/server/src/core/services.ts';
import { TestAgent } from '../apps/server/test/support/agent.ts';
import { signupBody } from '../apps/server/test/support/fixtures.ts';
import { benchConfig } from './config.ts';
import { createPlainTables, seedDossiers, type SeededPractice } from './seed-dossiers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const patientCount = Number(env.BENCH_PATIENTS ?? 10_000);
const entriesPerPatient = 20;
const connections = 20;
const warmupSeconds = Number(env.BENCH_WARMUP_SECONDS ?? 5);
const measuredSeconds = Number(env.BENCH_SECONDS ?? 20);

interface Scenario {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
}

export interface EngineDossierResult {
  engine: 'pglite' | 'postgres';
  serverProcesses: number;
  databaseConnections: number;
  seed: { patients: number; entriesPerPatient: number; seconds: number };
  secureRead: Scenario;
  search: Scenario;
  plainRead: Scenario;
  ratioSecureToPlain: number;
  auditedReads: number;
  secureReadsIncludingWarmup: number;
  settings: Record<string, string>;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Signs up the practice through the API (2FA switched off, as the foundation bench does) and signs its owner in. */
async function practiceWithOwner(db: Database, services: Awaited<ReturnType<typeof createServices>>, mailer: MemoryMailer) {
  const app = await buildApp(services);
  const body = signupBody();
  const agent = new TestAgent(app);
  await agent.post('/api/v1/signup', body);
  await agent.post('/api/v1/auth/verify-email', { token: mailer.lastToken(body.owner.email) });
  const first = await agent.post('/api/v1/auth/login', { email: body.owner.email, password: body.owner.password });
  const orgId: string = first.body.me.organisation.id;
  // The longest idle limit, so the session outlives seeding and load on a slow machine.
  await db.tenant(orgId, (tx) => tx.update(organisations).set({ secondFactorRequired: false, idleTimeoutMinutes: 60 } as never).where(eq(organisations.id, orgId)));
  const signedIn = new TestAgent(app);
  const login = await signedIn.post('/api/v1/auth/login', { email: body.owner.email, password: body.owner.password });
  if (login.body.status !== 'authenticated') throw new Error(`bench sign-in: ${login.body.status}`);
  const staff = await signedIn.get('/api/v1/staff');
  const membershipId: string = staff.body.members[0].id;
  const accountId: string = login.body.me.account.id;
  const cookies = [...signedIn.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const csrf = [...signedIn.cookies].find(([name]) => name.includes('csrf'))?.[1] ?? '';
  await app.close();
  return { orgId, membershipId, accountId, headers: { cookie: cookies, 'x-csrf-token': csrf, 'content-type': 'application/json' } };
}

function startServer(serverEnv: Record<string, string>): Promise<ChildProcess> {
  // BENCH_CPU_PROFILE_DIR: each server process writes a V8 CPU profile there when it stops (to see where a request's time goes).
  const profile = env.BENCH_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${env.BENCH_CPU_PROFILE_DIR}`] : [];
  const child = fork(path.join(here, 'serve.ts'), [], { execArgv: ['--import', 'tsx', ...profile], env: { ...env, ...serverEnv }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => (message === 'ready' ? resolve(child) : reject(new Error(String(message)))));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

const stopServer = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });

/** Loads every server at once (connections split evenly) and merges the results. */
async function load(ports: number[], seconds: number, request: (port: number) => autocannon.Request, headers: Record<string, string>): Promise<Scenario> {
  const results = await Promise.all(
    ports.map((port) =>
      autocannon({ url: `http://127.0.0.1:${port}`, connections: connections / ports.length, duration: seconds, headers, requests: [request(port)] }),
    ),
  );
  return {
    requestsPerSecond: Math.round(results.reduce((sum, result) => sum + result.requests.average, 0)),
    // Per-process percentiles cannot be merged exactly; the slower process's is reported.
    p50: Math.max(...results.map((result) => result.latency.p50)),
    p99: Math.max(...results.map((result) => result.latency.p99)),
    ok: results.reduce((sum, result) => sum + result['2xx'], 0),
    non2xx: results.reduce((sum, result) => sum + result.non2xx, 0),
    errors: results.reduce((sum, result) => sum + result.errors + result.timeouts, 0),
  };
}

/** Warm-up, then the measured run; `okIncludingWarmup` counts every success (for the audit check). */
async function scenario(ports: number[], request: () => autocannon.Request, headers: Record<string, string>): Promise<Scenario & { okIncludingWarmup: number }> {
  const warmup = await load(ports, warmupSeconds, request, headers);
  const measured = await load(ports, measuredSeconds, request, headers);
  return { ...measured, okIncludingWarmup: warmup.ok + measured.ok };
}

export async function runDossierBench(engine: 'pglite' | 'postgres'): Promise<EngineDossierResult> {
  const masterKey = randomBytes(32);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `haven-bench-${engine}-`));
  const pgliteDir = path.join(dataDir, 'db');
  const openBenchDb = (migrate: boolean, poolSize = 4) =>
    engine === 'pglite'
      ? openDatabase({ engine: 'pglite', dataDir: pgliteDir, migrate })
      : openDatabase({ engine: 'postgres', url: env.BENCH_DATABASE_URL!, migrationUrl: env.BENCH_MIGRATION_DATABASE_URL ?? null, migrate, poolSize });
  let db = await openBenchDb(true);
  const mailer = new MemoryMailer();
  const services = await createServices(benchConfig(dataDir), { db, mailer, signer: AuditSigner.generate(), masterKeys: LocalMasterKeyProvider.fromKeys(new Map([[1, masterKey]]), 'bench'), logger: createLogger('silent') });
  const practice = await practiceWithOwner(db, services, mailer);
  await createPlainTables(db, env.BENCH_MIGRATION_DATABASE_URL ?? null);
  process.stdout.write(`  ${engine}: seeding ${patientCount} patients × ${entriesPerPatient} entries … `);
  const seeded: SeededPractice = await seedDossiers(services, practice, { patientCount, entriesPerPatient });
  process.stdout.write(`${seeded.seedSeconds} s\n`);
  await db.close();

  const processes = engine === 'postgres' ? 2 : 1;
  const poolSize = engine === 'postgres' ? 10 : 1;
  const ports = await Promise.all(Array.from({ length: processes }, () => freePort()));
  const servers = await Promise.all(
    ports.map((port) =>
      startServer({ BENCH_ENGINE: engine, BENCH_PORT: String(port), BENCH_MASTER_KEY: masterKey.toString('hex'), BENCH_PGLITE_DIR: pgliteDir, BENCH_DATA_DIR: dataDir, BENCH_POOL_SIZE: String(poolSize) }),
    ),
  );
  const randomPatient = () => seeded.patientIds[Math.floor(Math.random() * seeded.patientIds.length)]!;
  let secureRead: Scenario & { okIncludingWarmup: number };
  let search: Scenario;
  let plainRead: Scenario;
  try {
    secureRead = await scenario(ports, () => ({ method: 'GET', setupRequest: (request) => ({ ...request, path: `/api/v1/patients/${randomPatient()}/dossier` }) }), practice.headers);
    search = await scenario(
      ports,
      () => ({ method: 'POST', setupRequest: (request) => ({ ...request, path: '/api/v1/patients/search', body: JSON.stringify({ q: seeded.prefixes[Math.floor(Math.random() * seeded.prefixes.length)] }) }) }),
      practice.headers,
    );
    plainRead = await scenario(ports, () => ({ method: 'GET', setupRequest: (request) => ({ ...request, path: `/api/v1/bench/plain-dossier/${randomPatient()}` }) }), practice.headers);
  } finally {
    await Promise.all(servers.map(stopServer));
  }

  // Every successful secure read left exactly one dossier.viewed record (warm-up included).
  db = await openBenchDb(false, 1);
  const [audited] = await db.tenant(seeded.orgId, (tx) =>
    tx.select({ n: count() }).from(auditEvents).where(and(eq(auditEvents.orgId, seeded.orgId), eq(auditEvents.action, 'dossier.viewed'))),
  );
  await db.close();
  if (engine === 'pglite') rmSync(dataDir, { recursive: true, force: true });

  return {
    engine,
    serverProcesses: processes,
    databaseConnections: processes * poolSize,
    seed: { patients: patientCount, entriesPerPatient, seconds: seeded.seedSeconds },
    secureRead,
    search,
    plainRead,
    ratioSecureToPlain: Number((secureRead.requestsPerSecond / Math.max(1, plainRead.requestsPerSecond)).toFixed(2)),
    auditedReads: audited?.n ?? 0,
    secureReadsIncludingWarmup: secureRead.okIncludingWarmup,
    settings: engine === 'postgres' ? { fsync: 'on', synchronous_commit: 'on', cluster: 'throwaway, durable' } : { storage: 'PGlite on disk (one connection)' },
  };
}

/*
 * Every answered read was audited, and nothing else was: autocannon stops counting with requests
 * still in flight (at most one per connection, in each of the two runs), which the server
 * answered — and audited — after the count closed.
 */
function auditCheck(result: EngineDossierResult): string {
  const { auditedReads: audited, secureReadsIncludingWarmup: answered } = result;
  return audited >= answered && audited <= answered + 2 * connections ? '✓ every answered read audited' : '✗ MISMATCH';
}

const row = (name: string, s: Scenario) => `| ${name} | ${s.requestsPerSecond} | ${s.p50} | ${s.p99} | ${s.non2xx + s.errors} |`;

/** Writes bench/results/dossiers.{json,md}. */
export function writeDossierResults(results: EngineDossierResult[], meta: { commit: string }): void {
  const dir = path.join(here, 'results');
  const at = new Date().toISOString();
  writeFileSync(path.join(dir, 'dossiers.json'), `${JSON.stringify({ at, node: process.version, cpus: os.cpus().length, commit: meta.commit, connections, warmupSeconds, measuredSeconds, results }, null, 2)}\n`);
  const lines = [
    '# Dossier benchmark (issue 5)',
    '',
    `${at}, Node ${process.version}, ${os.cpus().length} CPUs, commit ${meta.commit}. \`npm run bench -- --only dossiers\`.`,
    `${patientCount.toLocaleString('en')} patients × ${entriesPerPatient} entries; autocannon, ${connections} connections, ${warmupSeconds} s warm-up + ${measuredSeconds} s measured per scenario. Latency in ms.`,
    '',
  ];
  for (const result of results) {
    lines.push(
      `## ${result.engine} — ${result.serverProcesses} server process(es), ${result.databaseConnections} database connection(s); seeded in ${result.seed.seconds} s`,
      '',
      '| scenario | requests/s | p50 | p99 | failed |',
      '|---|--:|--:|--:|--:|',
      row('secure dossier read (a)', result.secureRead),
      row('search by name prefix (b)', result.search),
      row('plain baseline (c)', result.plainRead),
      '',
      `Secure / plain: **${result.ratioSecureToPlain}**. Audit records of secure reads: ${result.auditedReads} for ${result.secureReadsIncludingWarmup} answered reads (warm-up included) — ${auditCheck(result)}. Settings: ${Object.entries(result.settings).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
      '',
    );
    if (result.engine === 'postgres') {
      const goal = [
        `≥ 2,000 secure reads/s: ${result.secureRead.requestsPerSecond >= 2000 ? '✓' : '✗'} (${result.secureRead.requestsPerSecond})`,
        `p99 ≤ 30 ms: ${result.secureRead.p99 <= 30 ? '✓' : '✗'} (${result.secureRead.p99})`,
        `≥ 0.75 of plain: ${result.ratioSecureToPlain >= 0.75 ? '✓' : '✗'} (${result.ratioSecureToPlain})`,
      ];
      lines.push(`Goal (PostgreSQL, 20 connections): ${goal.join('; ')}.`, '');
    }
  }
  writeFileSync(path.join(dir, 'dossiers.md'), `${lines.join('\n')}\n`);
}
