/**
 * The dossier benchmark's baseline (bench only; app.ts never registers it): the same session
 * guard and route shape as `GET /patients/:id/dossier`, answered from plain columns in one
 * statement — no decryption, no patient-level authorisation, no audit record. The ratio of the
 * secure read to this is the price of the security work on the request path (the lead's answer
 * to the plan's §9.1).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { fastJsonSerializerCompiler } from '../apps/server/src/core/http/fast-serializer.ts';
import { access } from '../apps/server/src/core/http/access.ts';
import { defineDbFunction } from '../apps/server/src/core/db/functions.ts';
import type { Services } from '../apps/server/src/core/context.ts';

const plainDossier = defineDbFunction('bench_plain_dossier', 'select * from haven_bench_plain_dossier($1, $2, $3)');

interface PlainRow {
  row_kind: 'patient' | 'entry';
  id: string;
  family: string | null;
  given: string | null;
  birth_date: string | null;
  kind: string | null;
  status: string | null;
  effective_at: Date | string | null;
  version: number | null;
  author: string | null;
  content: string | null;
}

const iso = (value: Date | string | null) => (value === null ? null : value instanceof Date ? value.toISOString() : new Date(value).toISOString());

/**
 * The baseline's answer, serialised the way the secure read's is (fast-json-stringify from a zod
 * schema), so the ratio compares the security work, not two serializers.
 */
const PlainDossier = z.object({
  patient: z.object({ id: z.string(), name: z.object({ family: z.string().nullable(), given: z.string().nullable() }), birthDate: z.string().nullable() }),
  entries: z.array(
    z.object({
      id: z.string(),
      kind: z.string().nullable(),
      status: z.string().nullable(),
      effectiveAt: z.string().nullable(),
      version: z.number().nullable(),
      author: z.string().nullable(),
      content: z.object({ text: z.string(), title: z.string().optional(), icd10Code: z.string().optional(), icd10Text: z.string().optional() }),
    }),
  ),
});

export async function plainDossierRoute(app: FastifyInstance, services: Services): Promise<void> {
  app.get<{ Params: { id: string } }>('/api/v1/bench/plain-dossier/:id', { schema: { response: { 200: PlainDossier } }, serializerCompiler: fastJsonSerializerCompiler, config: { access: access.can('dossier:read') } }, async (request, reply) => {
    const orgId = request.ctx.principal!.orgId!;
    const rows = await services.db.callTenantFunction<PlainRow>(orgId, plainDossier, [request.params.id, 20]);
    const patient = rows.find((row) => row.row_kind === 'patient');
    if (!patient) return reply.status(404).send({ error: { code: 'PATIENT_NOT_FOUND' } });
    return {
      patient: { id: patient.id, name: { family: patient.family, given: patient.given }, birthDate: patient.birth_date },
      entries: rows
        .filter((row) => row.row_kind === 'entry')
        .map((row) => ({ id: row.id, kind: row.kind, status: row.status, effectiveAt: iso(row.effective_at), version: row.version, author: row.author, content: JSON.parse(row.content!) })),
    };
  });
}
