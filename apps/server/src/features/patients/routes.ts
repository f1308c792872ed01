import { PatientInput, PatientListQuery, PatientPage, PatientSearch, PatientUpdate, PatientView, Uuid } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../core/http/access.ts';
import { listPatients, searchPatients } from './search.ts';
import { createPatient, getPatient, updatePatient } from './service.ts';

const tags = ['patients'];
const byId = z.strictObject({ id: Uuid });

/**
 * The practice's patient directory. Routes name the permission; whether this person may reach
 * this patient is decided in core/authz (withPatientAccess), never here.
 */
export function patientRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/patients', { schema: { tags, summary: 'Browse the patients, most recently changed first (50 a page)', querystring: PatientListQuery, response: { 200: PatientPage } }, config: { access: access.can('patient:read') } }, async (request) =>
    listPatients(request.ctx, request.query),
  );
  r.post('/patients/search', { schema: { tags, summary: 'Find patients by name, date of birth or national identifier (in the body, never the URL)', body: PatientSearch, response: { 200: PatientPage } }, config: { access: access.can('patient:read') } }, async (request) =>
    searchPatients(request.ctx, request.body),
  );
  r.post('/patients', { schema: { tags, summary: 'Register a patient', body: PatientInput, response: { 201: PatientView } }, config: { access: access.can('patient:create') } }, async (request, reply) =>
    reply.status(201).send(await createPatient(request.ctx, request.body)),
  );
  r.get('/patients/:id', { schema: { tags, summary: "A patient's details (reading them is recorded)", params: byId, response: { 200: PatientView } }, config: { access: access.can('patient:read') } }, async (request) =>
    getPatient(request.ctx, request.params.id),
  );
  r.patch('/patients/:id', { schema: { tags, summary: "Change a patient's details", params: byId, body: PatientUpdate, response: { 200: PatientView } }, config: { access: access.can('patient:update') } }, async (request) =>
    updatePatient(request.ctx, request.params.id, request.body),
  );
}
