import type { UploadableMime } from '@haven/contracts';
import { desc, eq } from 'drizzle-orm';
import type { Place, FieldCrypto } from '../../core/crypto/field-crypto.ts';
import type { Tx } from '../../core/db/database.ts';
import { accounts, organisationFiles } from '../../core/db/schema.ts';
import { accountFieldOpener } from '../accounts/repository.ts';

const namePlace = (orgId: string, fileId: string): Place => ({ table: 'organisation_files', column: 'name', scope: orgId, rowId: fileId });

export interface OrganisationFileRow {
  id: string;
  blobId: string;
  name: string;
  contentType: UploadableMime;
  sizeBytes: number;
  uploadedByAccountId: string;
  createdAt: Date;
}

export async function insertOrganisationFile(tx: Tx, fields: FieldCrypto, orgId: string, row: Omit<OrganisationFileRow, never>): Promise<void> {
  await tx.insert(organisationFiles).values({ ...row, orgId, name: await fields.seal(tx, namePlace(orgId, row.id), row.name) });
}

/** The practice's files, newest first, with the uploader's name. */
export async function listOrganisationFiles(tx: Tx, fields: FieldCrypto, orgId: string) {
  const rows = await tx
    .select({ file: organisationFiles, uploaderName: accounts.name })
    .from(organisationFiles)
    .innerJoin(accounts, eq(accounts.id, organisationFiles.uploadedByAccountId))
    .orderBy(desc(organisationFiles.createdAt), desc(organisationFiles.id));
  const openName = fields.openerFor(tx, orgId);
  const openAccount = accountFieldOpener(tx, fields);
  return Promise.all(
    rows.map(async ({ file, uploaderName }) => ({
      ...file,
      name: await openName({ table: 'organisation_files', column: 'name', rowId: file.id }, file.name),
      uploadedBy: await openAccount.name(file.uploadedByAccountId, uploaderName),
    })),
  );
}

/** One file of the transaction's organisation (row-level security hides every other practice's). */
export async function findOrganisationFile(tx: Tx, fields: FieldCrypto, orgId: string, fileId: string): Promise<OrganisationFileRow | undefined> {
  const [row] = await tx.select().from(organisationFiles).where(eq(organisationFiles.id, fileId)).limit(1);
  if (!row) return undefined;
  return { ...row, name: await fields.open(tx, namePlace(orgId, row.id), row.name) };
}

export async function deleteOrganisationFile(tx: Tx, fileId: string): Promise<{ blobId: string } | undefined> {
  const [row] = await tx.delete(organisationFiles).where(eq(organisationFiles.id, fileId)).returning({ blobId: organisationFiles.blobId });
  return row;
}
