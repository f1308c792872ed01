import { parseArgs } from 'node:util';
import { AuditSealer } from '../core/audit/sealer.ts';
import { AuditSigner } from '../core/audit/signing-key.ts';
import { organisationsWithAudit, verifyOrganisation } from '../core/audit/verify.ts';
import { systemClock } from '../core/clock.ts';
import { ConfigError, loadConfig, type Config } from '../core/config.ts';
import { openDatabase, type Database } from '../core/db/database.ts';
import { migratePostgres } from '../core/db/migrate.ts';
import { createLogger } from '../core/logger.ts';
import { formatOutboxes } from './outbox.ts';

const usage = `Usage: npx haven <command>

  migrate                     apply pending database migrations
  outbox [--limit N]          list the newest e-mails (with their links) and SMS in the
                              local outboxes
  audit verify [--org ID]     check the audit chains and checkpoint signatures;
                              exits 1 naming the first bad record
  audit seal                  chain and sign pending audit records now
  keys rotate-master [--rewrap-only]
                              add a new master key version and re-wrap every key under it
  keys rotate-org --org ID    give an organisation a new key version (older data stays readable)
  keys shred-patient --org ID --patient ID --reason TEXT
                              destroy a patient's key: their encrypted data is erased for good
  keys shred-org --org ID --reason TEXT
                              destroy a practice's keys (contract end): all its data is erased

With the embedded database, stop the server first: one process at a time may open it.
`;

async function open(config: Config, migrate: boolean): Promise<Database> {
  return config.database.engine === 'pglite'
    ? openDatabase({ engine: 'pglite', dataDir: config.database.dataDir, migrate })
    : openDatabase({ engine: 'postgres', url: config.database.url, migrationUrl: config.database.migrationUrl, migrate, poolSize: 2 });
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { org: { type: 'string' }, patient: { type: 'string' }, reason: { type: 'string' }, 'rewrap-only': { type: 'boolean' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, sub] = positionals;
  if (!command || values.help) {
    process.stdout.write(usage);
    return command ? 0 : 2;
  }
  const config = loadConfig(process.env);

  if (command === 'outbox') {
    const limit = Number(values.limit ?? 10);
    process.stdout.write(formatOutboxes({ dir: config.mail.outboxDir, limit }, { dir: config.sms.outboxDir, limit }));
    return 0;
  }
  if (command === 'migrate') {
    if (config.database.engine === 'postgres') {
      const applied = await migratePostgres(config.database.migrationUrl ?? config.database.url);
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
      return 0;
    }
    const db = await openDatabase({ engine: 'pglite', dataDir: config.database.dataDir, migrate: true, onMigrated: (names) => process.stdout.write(names.length ? `Applied: ${names.join(', ')}\n` : 'The database is up to date.\n') });
    await db.close();
    return 0;
  }
  if (command === 'audit' && (sub === 'verify' || sub === 'seal')) {
    const { signer } = AuditSigner.loadOrCreate(config.audit.signingKeyFile, false);
    const db = await open(config, false);
    try {
      if (sub === 'seal') {
        const sealed = await new AuditSealer(db, signer, systemClock, createLogger('warn')).sealOnce();
        process.stdout.write(`Sealed ${sealed} record(s).\n`);
        return 0;
      }
      const orgs = values.org ? [values.org] : await organisationsWithAudit(db);
      let bad = 0;
      for (const orgId of orgs) {
        const result = await verifyOrganisation(db, orgId, signer.publicKey, systemClock.now());
        if (result.problem) {
          bad += 1;
          process.stdout.write(`FAIL ${orgId}: ${result.problem.message}\n`);
        } else {
          process.stdout.write(
            `ok   ${orgId}: ${result.recordsChecked} records, ${result.checkpointsChecked} signed checkpoints${result.unsealedRecent ? `, ${result.unsealedRecent} recent not yet sealed` : ''}\n`,
          );
        }
      }
      process.stdout.write(bad ? `\n${bad} of ${orgs.length} audit chain(s) failed verification.\n` : `\nAll ${orgs.length} audit chain(s) verified (key ${signer.keyId}).\n`);
      return bad ? 1 : 0;
    } finally {
      await db.close();
    }
  }
  if (command === 'keys' && sub) {
    const { runKeysCommand } = await import('./keys-command.ts');
    return runKeysCommand(config, sub, { org: values.org, patient: values.patient, reason: values.reason, rewrapOnly: values['rewrap-only'] });
  }
  process.stderr.write(`Unknown command: ${positionals.join(' ')}\n\n${usage}`);
  return 2;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : `haven: ${(error as Error).message}`}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
