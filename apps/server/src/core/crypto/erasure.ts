import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { appendAudit } from '../audit/record.ts';
import type { Services } from '../context.ts';
import { erasureLedger } from '../db/schema.ts';
import { newId } from '../security/tokens.ts';

/** One shredded key. Ids only: the ledger itself must not say anything about the person. */
export interface ErasureEntry {
  orgId: string;
  keyKind: 'patient' | 'organisation';
  subjectId: string;
  shreddedAt: string;
}

/**
 * The append-only twin of the `erasure_ledger` table, under the data directory and so outside
 * database backups: one JSON line per shredded key, written with O_APPEND and fsynced before the
 * shredding commits. After restoring a backup, `reapplyErasures` shreds every key it lists again,
 * so an erasure reaches backups taken before it. Keep this file with the master key, not with the
 * database backups.
 */
export class ErasureLedgerFile {
  constructor(readonly file: string) {}

  append(entry: ErasureEntry): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const fd = openSync(this.file, 'a', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  entries(): ErasureEntry[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as ErasureEntry);
  }
}

const operatorMeta = (now: Date) => ({
  now,
  requestId: `erasure:${newId()}`,
  ip: null,
  userAgent: 'haven',
  actorAccountId: null,
  actorRole: 'operator',
});

/**
 * Destroys a patient's key: the wrapped key is overwritten, the erasure is recorded in the ledger
 * file (fsynced, before commit: a crash between the two leaves an erasure to re-apply, never a
 * forgotten one) and in the table, and audited — all for this one organisation. Idempotent:
 * shredding an already shredded key returns false and records nothing new.
 */
export async function shredPatientKey(services: Services, input: { orgId: string; patientId: string; reason: string }): Promise<boolean> {
  const now = services.clock.now();
  return services.db.tenant(input.orgId, async (tx) => {
    const shredded = await services.keys.shredPatientKey(tx, input.orgId, input.patientId, now);
    if (!shredded) return false;
    const entry: ErasureEntry = { orgId: input.orgId, keyKind: 'patient', subjectId: input.patientId, shreddedAt: now.toISOString() };
    services.erasureLedger.append(entry);
    await tx.insert(erasureLedger).values({ orgId: input.orgId, id: newId(), keyKind: 'patient', subjectId: input.patientId, shreddedAt: now });
    await appendAudit(tx, input.orgId, operatorMeta(now), {
      action: 'keys.patient_shredded',
      outcome: 'success',
      resourceType: 'patient_key',
      resourceId: input.patientId,
      patientId: input.patientId,
      reason: input.reason.slice(0, 200),
    });
    return true;
  });
}

/**
 * Destroys an organisation's keys (every version): at contract end, or when a practice leaves.
 * Its contact details and all its patients' data become unreadable, in backups too once the
 * ledger is re-applied. The practice name, sealed under the platform key so that sign-in can list
 * it, goes with the organisation row when the data lifecycle deletes it.
 */
export async function shredOrganisationKeys(services: Services, input: { orgId: string; reason: string }): Promise<number> {
  const now = services.clock.now();
  return services.db.tenant(input.orgId, async (tx) => {
    const versions = await services.keys.shredOrganisationKeys(tx, input.orgId, now);
    if (versions === 0) return 0;
    services.erasureLedger.append({ orgId: input.orgId, keyKind: 'organisation', subjectId: input.orgId, shreddedAt: now.toISOString() });
    await tx.insert(erasureLedger).values({ orgId: input.orgId, id: newId(), keyKind: 'organisation', subjectId: input.orgId, shreddedAt: now });
    await appendAudit(tx, input.orgId, operatorMeta(now), {
      action: 'keys.organisation_shredded',
      outcome: 'success',
      resourceType: 'organisation',
      resourceId: input.orgId,
      reason: `${versions} key version(s); ${input.reason}`.slice(0, 200),
    });
    return versions;
  });
}

/**
 * After a restore: shreds again every key the ledger file lists (the restored database may hold
 * them intact). Returns how many keys it had to shred again.
 */
export async function reapplyErasures(services: Services): Promise<number> {
  let reapplied = 0;
  for (const entry of services.erasureLedger.entries()) {
    if (entry.keyKind === 'organisation') {
      const versions = await services.db.tenant(entry.orgId, (tx) => services.keys.shredOrganisationKeys(tx, entry.orgId, new Date(entry.shreddedAt)));
      if (versions > 0) reapplied += 1;
      continue;
    }
    const shredded = await services.db.tenant(entry.orgId, (tx) => services.keys.shredPatientKey(tx, entry.orgId, entry.subjectId, new Date(entry.shreddedAt)));
    if (shredded) reapplied += 1;
  }
  return reapplied;
}
