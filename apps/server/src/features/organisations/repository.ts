import { and, eq, isNull, sql } from 'drizzle-orm';
import type { FieldCrypto, Place } from '../../core/crypto/field-crypto.ts';
import type { Tx } from '../../core/db/database.ts';
import { organisationNamePlace } from '../accounts/repository.ts';
import { organisations, sessions } from '../../core/db/schema.ts';

type OrganisationColumns = typeof organisations.$inferSelect;
const sealedColumns = ['name', 'street', 'postalCode', 'city', 'companyName', 'registrationNumber'] as const;
type SealedColumn = (typeof sealedColumns)[number];

/** An organisation as use cases see it, its personal fields opened. */
export type OrganisationRow = Omit<OrganisationColumns, SealedColumn> & { name: string } & Record<Exclude<SealedColumn, 'name'>, string | null>;
export type OrganisationDetails = Partial<{ name: string } & Record<Exclude<SealedColumn, 'name'>, string | null>>;

const columnNames: Record<SealedColumn, string> = {
  name: 'name',
  street: 'street',
  postalCode: 'postal_code',
  city: 'city',
  companyName: 'company_name',
  registrationNumber: 'registration_number',
};
/** The name under the platform key (it is listed at sign-in); contact details under the practice's own key. */
const place = (orgId: string, column: SealedColumn): Place =>
  column === 'name' ? organisationNamePlace(orgId) : { table: 'organisations', column: columnNames[column], scope: orgId, rowId: orgId };

export async function findOrganisation(tx: Tx, fields: FieldCrypto, orgId: string): Promise<OrganisationRow | undefined> {
  const [row] = await tx.select().from(organisations).where(eq(organisations.id, orgId)).limit(1);
  if (!row) return undefined;
  const opened: Record<string, string | null> = {};
  for (const column of sealedColumns) opened[column] = await fields.openOptional(tx, place(orgId, column), row[column]);
  return { ...row, ...opened } as unknown as OrganisationRow;
}

/** Seals whichever personal fields are given; other columns pass through. */
export async function updateOrganisation(
  tx: Tx,
  fields: FieldCrypto,
  orgId: string,
  changes: OrganisationDetails & Partial<Omit<typeof organisations.$inferInsert, SealedColumn>>,
): Promise<void> {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    if ((sealedColumns as readonly string[]).includes(key)) {
      values[key] = await fields.sealOptional(tx, place(orgId, key as SealedColumn), value as string | null);
    } else values[key] = value;
  }
  await tx.update(organisations).set(values).where(eq(organisations.id, orgId));
}

/**
 * Creates the organisation row, then its key, then seals its contact details under that key —
 * one transaction, so a practice never exists without its key.
 */
export async function insertOrganisation(
  tx: Tx,
  fields: FieldCrypto,
  createKey: () => Promise<void>,
  row: Omit<typeof organisations.$inferInsert, SealedColumn> & { name: string } & OrganisationDetails,
): Promise<void> {
  const { name, street, postalCode, city, companyName, registrationNumber, ...rest } = row;
  await tx.insert(organisations).values({ ...rest, name: await fields.seal(tx, place(row.id, 'name'), name!) });
  await createKey();
  await updateOrganisation(tx, fields, row.id, { street, postalCode, city, companyName, registrationNumber });
}

/**
 * A new idle limit applies to the practice's open sessions at once, not only to new ones — but
 * only to sessions that are still active at `now`. A session already idle-locked stays locked:
 * raising the limit must not reopen an unattended screen without its password.
 */
export async function applyIdleTimeoutToOpenSessions(tx: Tx, orgId: string, seconds: number, now: Date): Promise<void> {
  await tx
    .update(sessions)
    .set({ idleTimeoutSeconds: seconds })
    .where(
      and(
        eq(sessions.orgId, orgId),
        isNull(sessions.endedAt),
        isNull(sessions.lockedAt),
        sql`${sessions.lastActiveAt} + make_interval(secs => ${sessions.idleTimeoutSeconds}) > ${now}`,
      ),
    );
}
