import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Config } from '../core/config.ts';
import type { Services } from '../core/context.ts';
import { shredOrganisationKeys, shredPatientKey } from '../core/crypto/erasure.ts';
import { LocalMasterKeyProvider, MasterKeyError } from '../core/crypto/key-provider.ts';
import {
  checkMasterRotation,
  KeyRotationRefused,
  rotateMasterKey,
  rotateOrganisationKey,
  UnknownOrganisationError,
  type MasterRotation,
  type RotationActor,
} from '../core/crypto/key-rotation.ts';
import { openDatabase, type Database } from '../core/db/database.ts';
import { organisations, patientKeys } from '../core/db/schema.ts';
import { createLogger } from '../core/logger.ts';
import { createServices } from '../core/services.ts';

export interface KeysCommandOptions {
  org?: string;
  patient?: string;
  reason?: string;
  /** `rotate-master --rewrap-only`: add no version, re-wrap under the highest one present. */
  rewrapOnly?: boolean;
}

/** Where the command writes (the process's streams; tests pass their own). */
export interface KeysCommandOutput {
  out(text: string): void;
  err(text: string): void;
}

const usage = `Usage:
  haven keys rotate-master [--rewrap-only]
  haven keys rotate-org --org ID
  haven keys shred-patient --org ID --patient ID --reason TEXT
  haven keys shred-org --org ID --reason TEXT
`;

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Audit metadata of an operator at the command line: no account, no address. */
export function operatorActor(): RotationActor {
  return { actorAccountId: null, actorRole: 'operator', requestId: `cli:${randomUUID()}`, ip: null, userAgent: 'haven-cli' };
}

/**
 * `haven keys …`: master and organisation key rotation and patient key shredding. Exit codes:
 * 0 done, 1 failed (the message says why), 2 wrong usage.
 */
export async function runKeysCommand(
  config: Config,
  sub: string,
  options: KeysCommandOptions,
  output: KeysCommandOutput = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) },
): Promise<number> {
  const problem = usageProblem(sub, options);
  if (problem) {
    output.err(`${problem}\n\n${usage}`);
    return 2;
  }
  const keyFile = config.masterKey.value ? null : config.masterKey.file;
  let master: LocalMasterKeyProvider;
  try {
    master = LocalMasterKeyProvider.load({ envValue: config.masterKey.value, file: config.masterKey.file, createIfMissing: false }).provider;
  } catch (error) {
    output.err(`haven: ${(error as Error).message}\n`);
    return 1;
  }
  if (sub === 'rotate-master') {
    // Refuse before opening anything: with HAVEN_MASTER_KEY the operator adds the version.
    try {
      checkMasterRotation({ master, keyFile, rewrapOnly: options.rewrapOnly });
    } catch (error) {
      output.err(`haven: ${(error as Error).message}\n`);
      return 1;
    }
  }

  const db = await openConfiguredDatabase(config);
  try {
    const services = await createServices(config, { db, masterKeys: master, logger: createLogger('warn') });
    if (sub === 'rotate-master') return await runRotateMaster(services, master, keyFile, options.rewrapOnly === true, output);
    if (sub === 'rotate-org') return await runRotateOrg(services, master, options.org!, output);
    if (sub === 'shred-org') return await runShredOrganisation(services, { orgId: options.org!, reason: options.reason! }, output);
    return await runShredPatient(services, { orgId: options.org!, patientId: options.patient!, reason: options.reason! }, output);
  } catch (error) {
    if (error instanceof UnknownOrganisationError || error instanceof KeyRotationRefused || error instanceof MasterKeyError) {
      output.err(`haven: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await db.close();
  }
}

function usageProblem(sub: string, options: KeysCommandOptions): string | null {
  const needsId = (name: 'org' | 'patient') =>
    !options[name] ? `--${name} is required` : uuid.test(options[name]) ? null : `--${name} must be an id (a UUID), not "${options[name]}"`;
  if (sub === 'rotate-master') return null;
  if (sub === 'rotate-org') return needsId('org');
  if (sub === 'shred-patient') {
    return needsId('org') ?? needsId('patient') ?? (options.reason?.trim() ? null : '--reason is required: say why the data is erased (it goes into the audit trail)');
  }
  if (sub === 'shred-org') {
    return needsId('org') ?? (options.reason?.trim() ? null : '--reason is required: say why the practice is erased (it goes into the audit trail)');
  }
  return `Unknown keys command: ${sub}`;
}

function openConfiguredDatabase(config: Config): Promise<Database> {
  return config.database.engine === 'pglite'
    ? openDatabase({ engine: 'pglite', dataDir: config.database.dataDir, migrate: false })
    : openDatabase({ engine: 'postgres', url: config.database.url, migrationUrl: config.database.migrationUrl, migrate: false, poolSize: 2 });
}

async function runRotateMaster(services: Services, master: LocalMasterKeyProvider, keyFile: string | null, rewrapOnly: boolean, output: KeysCommandOutput): Promise<number> {
  const result = await rotateMasterKey({ db: services.db, clock: services.clock, keys: services.keys }, { master, keyFile, rewrapOnly, actor: operatorActor() });
  output.out(describeMasterRotation(result));
  return result.failures.length > 0 || stillOnOlderVersions(result) > 0 ? 1 : 0;
}

const stillOnOlderVersions = (result: MasterRotation) =>
  [...result.wrappedPerVersion].filter(([version]) => version !== result.targetVersion).reduce((sum, [, count]) => sum + count, 0);

/** The operator's summary of a master rotation. */
export function describeMasterRotation(result: MasterRotation): string {
  const lines: string[] = [];
  const v = result.targetVersion;
  if (result.added) lines.push(`Added master key version ${v} to ${result.added.file} (mode 0600).`);
  lines.push(
    `Re-wrapped under master key version ${v}: ${result.platformKeysRewrapped} platform key(s), ` +
      `${result.orgKeysRewrapped} organisation key(s) of ${result.organisationsRewrapped} of ${result.organisationsSeen} organisation(s).`,
  );
  const perVersion = [...result.wrappedPerVersion].sort(([a], [b]) => a - b).map(([version, count]) => `v${version}: ${count}`);
  lines.push(`Keys wrapped per master key version now: ${perVersion.join(', ') || 'none'}.`);
  const older = result.versionsHeld.filter((version) => version !== v);
  const stillUsed = older.filter((version) => result.wrappedPerVersion.has(version));
  if (stillUsed.length > 0) {
    lines.push(`Still wrapping keys: ${stillUsed.map((version) => `v${version}`).join(', ')} (created or changed while this ran); run \`haven keys rotate-master --rewrap-only\` again.`);
  } else if (older.length > 0) {
    lines.push(`No key is wrapped under ${older.map((version) => `v${version}`).join(', ')} any more.`);
  }
  if (older.length > 0) {
    const them = older.length === 1 ? 'it' : 'them';
    lines.push(
      `Keep ${older.map((version) => `v${version}`).join(', ')} in the master key: database backups made before now hold keys wrapped under ${them}, ` +
        `and restoring such a backup needs ${them}.`,
    );
  }
  for (const failure of result.failures) lines.push(`FAILED for organisation ${failure.orgId}: ${failure.message}`);
  if (result.added) lines.push(`Back up ${result.added.file} now, apart from the database and its backups.`);
  return `${lines.join('\n')}\n`;
}

async function runRotateOrg(services: Services, master: LocalMasterKeyProvider, orgId: string, output: KeysCommandOutput): Promise<number> {
  const result = await rotateOrganisationKey({ db: services.db, clock: services.clock, keys: services.keys, master }, { orgId, actor: operatorActor() });
  output.out(
    `Organisation ${orgId}: key version ${result.previousVersion} → ${result.newVersion}.\n` +
      `New data is sealed under version ${result.newVersion}; version ${result.previousVersion} is retired and still opens what it sealed (nothing is re-encrypted).\n` +
      `Re-wrapped ${result.patientKeysRewrapped} patient key(s) under version ${result.newVersion}.\n` +
      (result.patientKeysUnreadable ? `${result.patientKeysUnreadable} patient key(s) depend on a shredded organisation key version and were left alone.\n` : ''),
  );
  return 0;
}

async function runShredOrganisation(services: Services, input: { orgId: string; reason: string }, output: KeysCommandOutput): Promise<number> {
  const known = await services.db.systemDb((tx) => tx.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, input.orgId)));
  if (known.length === 0) throw new UnknownOrganisationError(input.orgId);
  const versions = await shredOrganisationKeys(services, input);
  output.out(
    versions > 0
      ? `Shredded ${versions} key version(s) of organisation ${input.orgId}: its contact details and all its patients' data can no longer be read (a restore of an older backup re-applies this from the erasure ledger).\n`
      : `Organisation ${input.orgId}'s keys were already shredded; nothing to do.\n`,
  );
  return 0;
}

async function runShredPatient(services: Services, input: { orgId: string; patientId: string; reason: string }, output: KeysCommandOutput): Promise<number> {
  const { orgId, patientId } = input;
  const known = await services.db.systemDb((tx) => tx.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, orgId)));
  if (known.length === 0) throw new UnknownOrganisationError(orgId);
  const [key] = await services.db.tenant(orgId, (tx) =>
    tx
      .select({ shreddedAt: patientKeys.shreddedAt })
      .from(patientKeys)
      .where(and(eq(patientKeys.orgId, orgId), eq(patientKeys.patientId, patientId))),
  );
  if (!key) {
    output.err(`haven: organisation ${orgId} has no key for patient ${patientId}\n`);
    return 1;
  }
  if (key.shreddedAt) {
    output.out(`Patient ${patientId}'s key was already shredded (${key.shreddedAt.toISOString()}); nothing to do.\n`);
    return 0;
  }
  const shredded = await shredPatientKey(services, input);
  output.out(
    shredded
      ? `Shredded patient ${patientId}'s key in organisation ${orgId}: their encrypted data can no longer be read (a restore of an older backup re-applies this from the erasure ledger).\n`
      : `Patient ${patientId}'s key was shredded meanwhile; nothing more to do.\n`,
  );
  return 0;
}
