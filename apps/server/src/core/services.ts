import { sql } from 'drizzle-orm';
import { AuditSealer } from './audit/sealer.ts';
import { AuditSigner } from './audit/signing-key.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Services } from './context.ts';
import { openDatabase, queryRows, type Database } from './db/database.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMailer, type Mailer } from './mail/mailer.ts';
import { PasswordHasher } from './security/password-hashing.ts';

export interface ServiceOverrides {
  db?: Database;
  clock?: Clock;
  mailer?: Mailer;
  logger?: Logger;
  signer?: AuditSigner;
  hasher?: PasswordHasher;
}

/** Opens everything the server shares, from the validated configuration. */
export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const db =
    overrides.db ??
    (config.database.engine === 'pglite'
      ? await openDatabase({ engine: 'pglite', dataDir: config.database.dataDir, migrate: true, onMigrated: (names) => names.length && logger.info({ migrations: names }, 'migrations applied') })
      : await openDatabase({
          engine: 'postgres',
          url: config.database.url,
          migrationUrl: config.database.migrationUrl,
          migrate: true,
          onMigrated: (names) => names.length && logger.info({ migrations: names }, 'migrations applied'),
        }));
  if (db.engine === 'postgres') await checkServingRole(db, config, logger);
  let signer = overrides.signer;
  if (!signer) {
    const loaded = AuditSigner.loadOrCreate(config.audit.signingKeyFile, config.mode !== 'production');
    if (loaded.created) {
      logger.warn({ file: config.audit.signingKeyFile, keyId: loaded.signer.keyId }, 'CREATED A NEW AUDIT SIGNING KEY. Back it up apart from the database: without it the audit trail cannot be verified.');
    }
    signer = loaded.signer;
  }
  const clock = overrides.clock ?? systemClock;
  return {
    config,
    db,
    clock,
    logger,
    signer,
    mailer: overrides.mailer ?? createMailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from, outboxDir: config.mail.outboxDir, logger }),
    hasher: overrides.hasher ?? new PasswordHasher(),
    sealer: new AuditSealer(db, signer, clock, logger),
  };
}

/**
 * On PostgreSQL the server must connect as a role that is neither superuser nor owner of any
 * table, or row-level security would be a formality. Production refuses; development warns.
 */
async function checkServingRole(db: Database, config: Config, logger: Logger): Promise<void> {
  const rows = await db.identity((tx) =>
    queryRows<{ superuser: boolean; owned: number }>(
      tx,
      sql`select (select rolsuper or rolbypassrls from pg_roles where rolname = session_user) as superuser,
                 (select count(*)::int from pg_tables where schemaname = 'public' and tableowner = session_user) as owned`,
    ),
  );
  const row = rows[0];
  if (row && (row.superuser || row.owned > 0)) {
    const message = 'DATABASE_URL connects as a superuser or as the owner of the tables; serve as a separate role (see docs/operations.md) and migrate with HAVEN_MIGRATION_DATABASE_URL';
    if (config.mode === 'production') throw new Error(message);
    logger.warn(message);
  }
}
