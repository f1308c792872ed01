import { AuditSealer } from './audit/sealer.ts';
import { AuditSigner } from './audit/signing-key.ts';
import { DirectoryBlobStore, type BlobStore } from './blobs/blob-store.ts';
import { LocalMasterKeyProvider, type MasterKeyProvider } from './crypto/key-provider.ts';
import { ErasureLedgerFile } from './crypto/erasure.ts';
import { FieldCrypto } from './crypto/field-crypto.ts';
import { KeyRing } from './crypto/key-ring.ts';
import path from 'node:path';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Services } from './context.ts';
import { openDatabase, type Database } from './db/database.ts';
import { inspectServingRole } from './db/serving-role.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMailer, type Mailer } from './mail/mailer.ts';
import { PasswordHasher } from './security/password-hashing.ts';
import { openCountryLookup, type CountryLookup } from './security/geo.ts';
import { createSmsGateway } from './sms/sms-gateway.ts';
import type { SmsGateway } from './sms/sms-message.ts';

export interface ServiceOverrides {
  db?: Database;
  clock?: Clock;
  mailer?: Mailer;
  sms?: SmsGateway;
  geo?: CountryLookup;
  logger?: Logger;
  signer?: AuditSigner;
  hasher?: PasswordHasher;
  masterKeys?: MasterKeyProvider;
  blobs?: BlobStore;
}

/** Opens everything the server shares, from the validated configuration. */
export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  if (!overrides.db && config.database.engine === 'postgres') {
    // Migrate first (the owner creates haven_app), then judge the serving role.
    const { migratePostgres } = await import('./db/migrate.ts');
    const applied = await migratePostgres(config.database.migrationUrl ?? config.database.url);
    if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
    await checkServingRole(config.database.url, config, logger);
  }
  const db =
    overrides.db ??
    (config.database.engine === 'pglite'
      ? await openDatabase({ engine: 'pglite', dataDir: config.database.dataDir, migrate: true, onMigrated: (names) => names.length && logger.info({ migrations: names }, 'migrations applied') })
      : await openDatabase({
          engine: 'postgres',
          url: config.database.url,
          migrationUrl: config.database.migrationUrl,
        }));
  let signer = overrides.signer;
  if (!signer) {
    const loaded = AuditSigner.loadOrCreate(config.audit.signingKeyFile, config.mode !== 'production');
    if (loaded.created) {
      logger.warn({ file: config.audit.signingKeyFile, keyId: loaded.signer.keyId }, 'CREATED A NEW AUDIT SIGNING KEY. Back it up apart from the database: without it the audit trail cannot be verified.');
    }
    signer = loaded.signer;
  }
  let masterKeys = overrides.masterKeys;
  if (!masterKeys) {
    const loaded = LocalMasterKeyProvider.load({ envValue: config.masterKey.value, file: config.masterKey.file, createIfMissing: config.mode !== 'production' });
    if (loaded.created) {
      logger.warn({ file: config.masterKey.file }, 'CREATED A NEW MASTER KEY. Without it no encrypted data can ever be read: back it up apart from the database and its backups.');
    }
    masterKeys = loaded.provider;
  }
  const clock = overrides.clock ?? systemClock;
  const keys = new KeyRing(masterKeys, clock, { cacheEntries: config.keyCacheEntries });
  await keys.ensurePlatformKey(db, clock.now());
  const geo = overrides.geo ?? (await openGeo(config, logger));
  return {
    config,
    db,
    clock,
    logger,
    signer,
    mailer: overrides.mailer ?? createMailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from, outboxDir: config.mail.outboxDir, logger }),
    sms: overrides.sms ?? createSmsGateway(config.sms, logger),
    geo,
    hasher: overrides.hasher ?? new PasswordHasher(),
    sealer: new AuditSealer(db, signer, clock, logger),
    keys,
    fields: new FieldCrypto(keys),
    blobs: overrides.blobs ?? new DirectoryBlobStore(config.blobDir),
    erasureLedger: new ErasureLedgerFile(path.join(config.dataDir, 'erasure-ledger.jsonl')),
  };
}

/** Country data older than this earns a warning at start: allocations move, slowly. */
const GEO_STALE_DAYS = 365;

async function openGeo(config: Config, logger: Logger): Promise<CountryLookup> {
  const geo = await openCountryLookup({ file: config.geo.dbFile });
  const ageDays = geo.builtAt ? Math.floor((Date.now() - geo.builtAt.getTime()) / 86_400_000) : null;
  logger.info({ geoDatabase: geo.source, geoBuiltAt: geo.builtAt?.toISOString() ?? null }, 'country lookup opened');
  if (ageDays !== null && ageDays > GEO_STALE_DAYS) {
    logger.warn({ geoDatabase: geo.source, ageDays }, 'the country database is over a year old: update it (docs/operations.md, "Country lookup")');
  }
  return geo;
}

/**
 * On PostgreSQL the server must connect as a role that is neither superuser nor owner of any
 * table, or row-level security would be a formality: production refuses, development warns.
 * A role that cannot act as haven_app cannot work at all and is refused everywhere.
 */
async function checkServingRole(url: string, config: Config, logger: Logger): Promise<void> {
  const report = await inspectServingRole(url);
  if (report.superuserOrBypass || report.ownsTables) {
    const message = `DATABASE_URL connects as "${report.role}", a superuser or the owner of the tables; serve as a separate role (see docs/operations.md) and migrate with HAVEN_MIGRATION_DATABASE_URL`;
    if (config.mode === 'production') throw new Error(message);
    logger.warn(message);
  }
  if (!report.canActAsRequestRole && !report.superuserOrBypass) {
    throw new Error(`DATABASE_URL connects as "${report.role}", which may not act as haven_app: connect as haven_app or GRANT haven_app TO "${report.role}" (docs/operations.md)`);
  }
}
