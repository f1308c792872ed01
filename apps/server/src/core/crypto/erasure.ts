import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { appendAudit } from '../audit/record.ts';
import type { Services } from '../context.ts';
import { queryRows, type Tx } from '../db/database.ts';
import { erasureLedger } from '../db/schema.ts';
import { deleteBlobQuietly } from '../files/encrypted-files.ts';
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
 * What must go with a patient's key (docs/design/patients-and-dossiers.md §3): the search
 * indexes, which would still tell equal names, dates of birth and identifiers apart; the
 * patient's status (erased: 404 for everyone); the portal account. Returns the blobs of the
 * patient's documents, for the caller to delete after commit (unreadable already; deleting them
 * is tidiness). Idempotent: a restored backup gets the same treatment again.
 */
async function erasePatientRecord(tx: Tx, input: { orgId: string; patientId: string; now: Date }): Promise<string[]> {
  await tx.execute(sql`delete from patient_name_tokens where org_id = ${input.orgId}::uuid and patient_id = ${input.patientId}::uuid`);
  await tx.execute(sql`update patients set birth_date_bidx = null, national_id_bidx = null, status = 'erased', erased_at = coalesce(erased_at, ${input.now.toISOString()}::timestamptz)
    where org_id = ${input.orgId}::uuid and id = ${input.patientId}::uuid
      and (status <> 'erased' or birth_date_bidx is not null or national_id_bidx is not null)`);
  // The patient's portal access ends with the record it showed.
  await tx.execute(sql`update patient_accounts set status = 'deactivated', deactivated_at = ${input.now.toISOString()}::timestamptz
    where org_id = ${input.orgId}::uuid and patient_id = ${input.patientId}::uuid and status <> 'deactivated'`);
  const blobs = await queryRows<{ blob_id: string }>(tx, sql`select blob_id from patient_documents where org_id = ${input.orgId}::uuid and patient_id = ${input.patientId}::uuid`);
  return blobs.map((row) => row.blob_id);
}

async function deleteBlobsQuietly(services: Services, blobIds: string[]): Promise<void> {
  for (const blobId of blobIds) await deleteBlobQuietly(services, blobId);
}

/**
 * Destroys a patient's key: the wrapped key is overwritten, the erasure is recorded in the ledger
 * file (fsynced, before commit: a crash between the two leaves an erasure to re-apply, never a
 * forgotten one) and in the table, and audited — all for this one organisation. In the same
 * transaction the patient's search indexes go and the patient is marked erased; after commit
 * the encrypted blobs of their documents are deleted (best effort). Idempotent: shredding an
 * already shredded key returns false and records nothing new.
 */
export async function shredPatientKey(services: Services, input: { orgId: string; patientId: string; reason: string }): Promise<boolean> {
  const now = services.clock.now();
  const outcome = await services.db.tenant(input.orgId, async (tx) => {
    const shredded = await services.keys.shredPatientKey(tx, input.orgId, input.patientId, now);
    if (!shredded) return { shredded: false, blobs: [] };
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
    return { shredded: true, blobs: await erasePatientRecord(tx, { orgId: input.orgId, patientId: input.patientId, now }) };
  });
  await deleteBlobsQuietly(services, outcome.blobs);
  return outcome.shredded;
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
    // The restored database may hold the patient's indexes and status as before the erasure
    // too: they are cleared again whether or not the key itself came back.
    const { shredded, blobs } = await services.db.tenant(entry.orgId, async (tx) => {
      const at = new Date(entry.shreddedAt);
      const again = await services.keys.shredPatientKey(tx, entry.orgId, entry.subjectId, at);
      return { shredded: again, blobs: await erasePatientRecord(tx, { orgId: entry.orgId, patientId: entry.subjectId, now: at }) };
    });
    if (shredded) reapplied += 1;
    await deleteBlobsQuietly(services, blobs);
  }
  return reapplied;
}
