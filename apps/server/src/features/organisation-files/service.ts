import { uploadableMimes } from '@haven/contracts';
import type { Readable } from 'node:stream';
import { appendAudit } from '../../core/audit/record.ts';
import { auditMeta, memberOf, type RequestContext } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { deleteBlobQuietly, openEncryptedFile, storeEncryptedFile, type FileOwner } from '../../core/files/encrypted-files.ts';
import { safeFileName } from '../../core/files/file-names.ts';
import type { UploadPart } from '../../core/http/uploads.ts';
import { newId } from '../../core/security/tokens.ts';
import { findAccountById } from '../accounts/repository.ts';
import { organisationFileEvent } from './audit.ts';
import { deleteOrganisationFile, findOrganisationFile, insertOrganisationFile, listOrganisationFiles, type OrganisationFileRow } from './repository.ts';

const present = (row: OrganisationFileRow & { uploadedBy: string }) => ({
  id: row.id,
  name: row.name,
  contentType: row.contentType,
  sizeBytes: row.sizeBytes,
  uploadedBy: row.uploadedBy,
  createdAt: row.createdAt.toISOString(),
});

const ownerOf = (orgId: string): FileOwner => ({ kind: 'organisation', orgId });

export async function listFiles(ctx: RequestContext) {
  const { orgId } = memberOf(ctx);
  const { db, fields, config } = ctx.services;
  const rows = await db.tenant(orgId, (tx) => listOrganisationFiles(tx, fields, orgId));
  return { files: rows.map(present), limits: { maxBytes: config.uploadMaxBytes, types: uploadableMimes } };
}

/**
 * Stores an uploaded file: content checked and encrypted on its way into the blob store, then
 * the row and its audit record in one transaction. If that transaction fails the blob goes too.
 */
export async function uploadFile(ctx: RequestContext, upload: UploadPart) {
  const actor = memberOf(ctx);
  const { db, fields, config, clock } = ctx.services;
  const stored = await storeEncryptedFile(ctx.services, { owner: ownerOf(actor.orgId), source: upload.source, nameHint: upload.fileName, maxBytes: config.uploadMaxBytes });
  try {
    await upload.assertNothingMore();
  } catch (error) {
    await deleteBlobQuietly(ctx.services, stored.blobId);
    throw error;
  }
  const now = clock.now();
  const row: OrganisationFileRow = {
    id: newId(),
    blobId: stored.blobId,
    name: safeFileName(upload.fileName, stored.type),
    contentType: stored.type.mime,
    sizeBytes: stored.bytes,
    uploadedByAccountId: actor.accountId,
    createdAt: now,
  };
  try {
    const uploadedBy = await db.tenant(actor.orgId, async (tx) => {
      await insertOrganisationFile(tx, fields, actor.orgId, row);
      await appendAudit(tx, actor.orgId, auditMeta(ctx, now), organisationFileEvent({ action: 'file.uploaded', outcome: 'success', resourceType: 'organisation_file', resourceId: row.id }));
      return (await findAccountById(tx, fields, actor.accountId))?.name ?? '';
    });
    return present({ ...row, uploadedBy });
  } catch (error) {
    await deleteBlobQuietly(ctx.services, stored.blobId);
    throw error;
  }
}

export interface FileDownload {
  name: string;
  contentType: string;
  sizeBytes: number;
  /** Plaintext; its first chunk has already been authenticated. */
  stream: Readable;
}

/** A file's contents for download; the access is audited before a byte is sent. */
export async function downloadFile(ctx: RequestContext, input: { unverifiedFileId: string }): Promise<FileDownload> {
  const { orgId } = memberOf(ctx);
  const { db, fields, clock } = ctx.services;
  const now = clock.now();
  const row = await db.tenant(orgId, async (tx) => {
    const file = await findOrganisationFile(tx, fields, orgId, input.unverifiedFileId);
    if (!file) return undefined;
    await appendAudit(tx, orgId, auditMeta(ctx, now), organisationFileEvent({ action: 'file.downloaded', outcome: 'success', resourceType: 'organisation_file', resourceId: file.id }));
    return file;
  });
  if (!row) throw new AppError('FILE_NOT_FOUND');
  const stream = await openEncryptedFile(ctx.services, { owner: ownerOf(orgId), blobId: row.blobId });
  return { name: row.name, contentType: row.contentType, sizeBytes: row.sizeBytes, stream };
}

/** Deletes a file: row and audit record together, then the encrypted blob. */
export async function deleteFile(ctx: RequestContext, input: { unverifiedFileId: string }): Promise<void> {
  const { orgId } = memberOf(ctx);
  const { db, clock } = ctx.services;
  const now = clock.now();
  const deleted = await db.tenant(orgId, async (tx) => {
    const row = await deleteOrganisationFile(tx, input.unverifiedFileId);
    if (!row) return undefined;
    await appendAudit(tx, orgId, auditMeta(ctx, now), organisationFileEvent({ action: 'file.deleted', outcome: 'success', resourceType: 'organisation_file', resourceId: input.unverifiedFileId }));
    return row;
  });
  if (!deleted) throw new AppError('FILE_NOT_FOUND');
  await deleteBlobQuietly(ctx.services, deleted.blobId);
}
