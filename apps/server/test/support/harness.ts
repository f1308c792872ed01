import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditSigner } from '../../src/core/audit/signing-key.ts';
import { LocalMasterKeyProvider } from '../../src/core/crypto/key-provider.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { loadConfig, type Config } from '../../src/core/config.ts';
import type { Services } from '../../src/core/context.ts';
import { openDatabase, type Database } from '../../src/core/db/database.ts';
import { createLogger, type Logger } from '../../src/core/logger.ts';
import { MemoryMailer } from '../../src/core/mail/mailer.ts';
import { StaticCountryLookup, type CountryLookup } from '../../src/core/security/geo.ts';
import { MemorySmsGateway } from '../../src/core/sms/memory-sms-gateway.ts';
import { PasswordHasher } from '../../src/core/security/password-hashing.ts';
import { createServices } from '../../src/core/services.ts';

export interface TestHarness {
  app: FastifyInstance;
  services: Services;
  db: Database;
  clock: ManualClock;
  mailer: MemoryMailer;
  sms: MemorySmsGateway;
  geo: CountryLookup;
  config: Config;
  close(): Promise<void>;
}

/**
 * One database per test worker, shared by all its test files (a PGlite instance costs seconds
 * and hundreds of MB). Tests isolate by giving each test its own organisation.
 */
let shared: Promise<Database> | null = null;
export function sharedDatabase(): Promise<Database> {
  shared ??=
    inject('engine') === 'postgres'
      ? openDatabase({ engine: 'postgres', url: inject('postgresAppUrl'), poolSize: 12 })
      : openDatabase({ engine: 'pglite', dataDir: null, migrate: true });
  return shared;
}

export const testEngine = (): 'pglite' | 'postgres' => inject('engine');

/**
 * One audit signing key and one master key for the whole run (from the global setup): any
 * harness's sealer may seal any test's records, and every worker must open every test's keys —
 * on PostgreSQL all workers share one database.
 */
const sharedSigner = AuditSigner.fromPem(inject('testAuditKeyPem'));
export const sharedMasterKeys = LocalMasterKeyProvider.fromKeys(new Map([[1, Buffer.from(inject('testMasterKey'), 'base64')]]), 'test');

/**
 * The countries tests see by default: the documentation ranges (RFC 5737, RFC 3849), which no
 * real client has. `app.inject({ remoteAddress: '192.0.2.10' })` comes from the Netherlands.
 */
export const testCountries: Record<string, string> = {
  '192.0.2.0/24': 'NL',
  '198.51.100.0/24': 'DE',
  '203.0.113.0/24': 'US',
  '2001:db8:31::/48': 'NL',
  '2001:db8:49::/48': 'DE',
  '2001:db8:1::/48': 'US',
};

/**
 * argon2id at its cheapest for tests: the same algorithm, code path and PHC strings, a thousandth
 * of the work. Every test signs people in, and at the production cost (19 MiB, two passes:
 * about 15 ms of CPU per hash or check on the 2-core CI machine) hashing was a quarter of the
 * whole suite's time. What the production cost itself must be is tested where it is the subject
 * (`passwords.int.test.ts` asks for `passwordHashing: 'production'`); the running app, the
 * browser tests and the benchmarks always use it.
 */
const testArgon2Params = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/**
 * `logger` replaces the default (silent unless HAVEN_TEST_LOG_LEVEL) one, e.g. to capture log lines;
 * `geo` replaces the country lookup (by default `testCountries`); `passwordHashing: 'production'`
 * hashes at the production cost instead of `testArgon2Params`.
 */
export async function createHarness(
  options: { env?: Record<string, string>; start?: Date; logger?: Logger; geo?: CountryLookup; passwordHashing?: 'production' | 'fast' } = {},
): Promise<TestHarness> {
  const config = loadConfig({
    NODE_ENV: 'test',
    HAVEN_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'haven-test-')),
    HAVEN_PUBLIC_URL: 'http://haven.test',
    HAVEN_LOG_LEVEL: process.env.HAVEN_TEST_LOG_LEVEL ?? 'silent',
    HAVEN_RATE_LIMIT_PER_MINUTE: '100000',
    HAVEN_LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
    HAVEN_SERVE_WEB: 'false',
    ...options.env,
  });
  const db = await sharedDatabase();
  const clock = new ManualClock(options.start ?? new Date());
  const mailer = new MemoryMailer();
  const sms = new MemorySmsGateway();
  const geo = options.geo ?? new StaticCountryLookup(testCountries);
  const services = await createServices(config, {
    db,
    clock,
    mailer,
    sms,
    geo,
    signer: sharedSigner,
    ...(options.passwordHashing === 'production' ? {} : { hasher: new PasswordHasher(testArgon2Params) }),
    masterKeys: sharedMasterKeys,
    logger: options.logger ?? createLogger(config.logLevel),
  });
  const app = await buildApp(services);
  await app.ready();
  return {
    app,
    services,
    db,
    clock,
    mailer,
    sms,
    geo,
    config,
    close: async () => {
      await services.sealer.stop();
      await app.close();
    },
  };
}
