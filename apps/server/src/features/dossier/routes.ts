import { DossierQuery, DossierView, EnteredInErrorInput, EntryInput, EntryRevision, EntryVersionList, EntryView, Uuid } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../core/http/access.ts';
import { fastJsonSerializerCompiler } from '../../core/http/fast-serializer.ts';
import { createEntry, getEntry, getEntryHistory, markEntryEnteredInError, openDossier, reviseEntry } from './service.ts';

const tags = ['dossier'];
const byPatient = z.strictObject({ id: Uuid });
const byEntry = z.strictObject({ id: Uuid, entryId: Uuid });

/**
 * A patient's dossier: the timeline and its entries. Routes name the permission; whether this
 * person may reach this patient (care team or break-the-glass) is decided in core/authz. The
 * dossier read, the hot path, serialises with fast-json-stringify (core/http/fast-serializer.ts).
 */
export function dossierRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/patients/:id/dossier', { schema: { tags, summary: "A patient's header and timeline, newest first (20 a page; reading it is recorded)", params: byPatient, querystring: DossierQuery, response: { 200: DossierView } }, serializerCompiler: fastJsonSerializerCompiler, config: { access: access.can('dossier:read') } }, async (request) =>
    openDossier(request.ctx, { unverifiedPatientId: request.params.id, query: request.query }),
  );
  r.post('/patients/:id/entries', { schema: { tags, summary: 'Write a finding, diagnosis or note (optionally for another care-team practitioner)', params: byPatient, body: EntryInput, response: { 201: EntryView } }, config: { access: access.can('dossier:write') } }, async (request, reply) =>
    reply.status(201).send(await createEntry(request.ctx, { unverifiedPatientId: request.params.id, body: request.body })),
  );
  r.get('/patients/:id/entries/:entryId', { schema: { tags, summary: 'One entry at its current version (reading it is recorded)', params: byEntry, response: { 200: EntryView } }, config: { access: access.can('dossier:read') } }, async (request) =>
    getEntry(request.ctx, { unverifiedPatientId: request.params.id, entryId: request.params.entryId }),
  );
  r.get('/patients/:id/entries/:entryId/versions', { schema: { tags, summary: 'Every version of an entry, oldest first, with author, time and change reason', params: byEntry, response: { 200: EntryVersionList } }, config: { access: access.can('dossier:read') } }, async (request) =>
    getEntryHistory(request.ctx, { unverifiedPatientId: request.params.id, entryId: request.params.entryId }),
  );
  r.put('/patients/:id/entries/:entryId', { schema: { tags, summary: 'Revise an entry: a new version, if nobody saved one since `expectedVersion`', params: byEntry, body: EntryRevision, response: { 200: EntryView } }, config: { access: access.can('dossier:write') } }, async (request) =>
    reviseEntry(request.ctx, { unverifiedPatientId: request.params.id, entryId: request.params.entryId, body: request.body }),
  );
  r.post('/patients/:id/entries/:entryId/entered-in-error', { schema: { tags, summary: 'Mark an entry as entered in error, with a reason (it stays in the record)', params: byEntry, body: EnteredInErrorInput, response: { 200: EntryView } }, config: { access: access.can('dossier:write') } }, async (request) =>
    markEntryEnteredInError(request.ctx, { unverifiedPatientId: request.params.id, entryId: request.params.entryId, body: request.body }),
  );
}
