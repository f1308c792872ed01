import diagnostics from 'node:diagnostics_channel';
import { builtInRoles, errorCatalogue, type ErrorCode } from '@haven/contracts';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Access } from '../src/core/http/access.ts';
import { TestAgent, type TestResponse } from './support/agent.ts';
import { addMember, createTestOrganisation, freshTotpCode, signupBody, strongPassword, unique, type TestOrganisation } from './support/fixtures.ts';
import { createHarness, type TestHarness } from './support/harness.ts';
import { signInPatient } from './support/patient-fixtures.ts';

/*
 * Robustness of every API route against bad input, generated from the routes the running app
 * registers and from their own zod schemas, so a new route is covered without editing this file.
 * Whatever is sent, the answer is a catalogued 4xx with the one error body, never a 500, and it
 * never echoes what was sent: each bad value carries a marker that must not come back.
 */

interface DiscoveredRoute {
  method: string;
  url: string;
  access: Access | undefined;
  schema: FastifySchema | undefined;
}

/** Builds a harness and records every route its app registers (onRoute, hooked in at creation). */
async function harnessWithRoutes(): Promise<{ h: TestHarness; routes: DiscoveredRoute[] }> {
  const routes: DiscoveredRoute[] = [];
  const channel = diagnostics.channel('fastify.initialization');
  const onInit = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url, access: route.config?.access, schema: route.schema });
    });
  };
  channel.subscribe(onInit);
  try {
    return { h: await createHarness(), routes };
  } finally {
    channel.unsubscribe(onInit);
  }
}

const { h, routes } = await harnessWithRoutes();
afterAll(() => h.close());

const apiRoutes = routes.filter((route) => route.url.startsWith('/api/v1/') && route.method !== 'HEAD');
const label = (route: DiscoveredRoute) => `${route.method} ${route.url}`;
const zodOf = (schema: unknown) => schema as z.ZodType | undefined;
const withBody = apiRoutes.filter((route) => route.schema?.body);
const withQuery = apiRoutes.filter((route) => route.schema?.querystring);
const withParams = apiRoutes.filter((route) => route.schema?.params);
const writes = apiRoutes.filter((route) => route.method !== 'GET');

const marker = () => `BADINPUT-${unique()}`;
const randomUuid = () => crypto.randomUUID();
/** A route URL with its `:id` filled in, and any further id (`:entryId`) with a well-formed one. */
const urlOf = (route: DiscoveredRoute, id: string = randomUuid()) => route.url.replace(':id', id).replace(/:[A-Za-z]+Id\b/g, () => randomUuid());

/**
 * Who calls a route here: the practice's owner — or, for the second step of signing in, the
 * owner in the middle of it (authenticator app set up, password given, code still owed), and for
 * the portal a patient of the practice.
 */
async function callerFor(route: DiscoveredRoute, org: TestOrganisation): Promise<TestAgent> {
  if (route.access?.level === 'held') {
    // A sign-in from a country new to the account, held for confirmation by e-mail.
    const held = new TestAgent(h.app, { ip: '198.51.100.7' });
    await held.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
    const answer = await held.post('/api/v1/auth/second-factor', { method: 'totp', code: freshTotpCode(h, org.owner.totpSecret!) });
    expect(answer.body.status).toBe('confirmation_required');
    return held;
  }
  // The portal's routes are for the practice's patients: one signed in to it.
  if (route.access?.level === 'patient') return (await signInPatient(h, org)).agent;
  if (route.access?.level !== 'second_factor') return org.owner.agent;
  // The owner set up an authenticator app at first sign-in: the password alone leaves the
  // session waiting for the second step.
  const pending = new TestAgent(h.app);
  const login = await pending.post('/api/v1/auth/login', { email: org.owner.email, password: org.owner.password });
  expect(login.body.status).toBe('second_factor_required');
  return pending;
}

/** The one error body: a catalogued code with its status and message, and nothing that was sent. */
function expectCleanError(response: TestResponse, code: ErrorCode, sentMarker?: string): void {
  const raw = JSON.stringify(response.body);
  expect(response.status, raw).toBe(errorCatalogue[code].status);
  expect(response.body?.error?.code, raw).toBe(code);
  expect(response.body.error.message).toBe(errorCatalogue[code].message);
  expect(response.body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(Object.keys(response.body)).toEqual(['error']);
  for (const key of Object.keys(response.body.error)) expect(['code', 'message', 'requestId', 'fields', 'retryAfterSeconds']).toContain(key);
  expect(raw).not.toMatch(/\bat .+\.(ts|js|mjs):\d+/); // no stack frames
  expect(raw).not.toMatch(/\b(select|insert into|update \w+ set|delete from)\b|params:|Failed query/i);
  if (sentMarker) expect(raw).not.toContain(sentMarker);
}

/** The field paths a VALIDATION_FAILED answer names. */
const fieldPaths = (response: TestResponse): string[] => (response.body.error.fields ?? []).map((field: { path: string }) => field.path);

type JsonSchema = {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
};

const jsonSchemaOf = (schema: z.ZodType): JsonSchema => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
/** The type a property takes when it is not null (`x | null` counts as x). */
const typeOf = (node: JsonSchema): string | undefined => node.type ?? node.anyOf?.find((option) => option.type !== 'null')?.type;

/** Every property of a body schema, nested objects included, with its dotted path. */
function leaves(node: JsonSchema, path: string[] = []): Array<{ path: string[]; node: JsonSchema }> {
  const found: Array<{ path: string[]; node: JsonSchema }> = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    found.push({ path: [...path, key], node: child });
    if (typeOf(child) === 'object') found.push(...leaves(child, [...path, key]));
  }
  return found;
}

/** The object nodes of a body schema (where an unknown key can be slipped in). */
function objects(node: JsonSchema, path: string[] = []): string[][] {
  const found = [path];
  for (const [key, child] of Object.entries(node.properties ?? {})) if (typeOf(child) === 'object') found.push(...objects(child, [...path, key]));
  return found;
}

function nest(path: string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

/** A value of the wrong JSON type for a property, carrying the marker where the type allows it. */
function wrongTypes(node: JsonSchema, sentMarker: string): unknown[] {
  switch (typeOf(node)) {
    case 'string':
      return [12345, [sentMarker]];
    case 'integer':
    case 'number':
    case 'boolean':
      return [sentMarker, [sentMarker]];
    case 'object':
      return [sentMarker, [sentMarker]];
    default:
      return [{ unexpected: sentMarker }];
  }
}

/** A query-string value the property refuses (query values are always strings). */
function invalidQueryValue(node: JsonSchema, sentMarker: string): string | null {
  const candidates = [sentMarker, `${sentMarker}${'x'.repeat((node.maxLength ?? 0) + 1)}`];
  for (const candidate of candidates) {
    const type = typeOf(node);
    if (type === 'integer' || type === 'number') return candidate;
    if (node.enum && !node.enum.includes(candidate)) return candidate;
    if (node.format) return candidate;
    if (node.pattern && !new RegExp(node.pattern, 'u').test(candidate)) return candidate;
    if (node.maxLength !== undefined && candidate.length > node.maxLength) return candidate;
  }
  return null;
}

const json = { 'content-type': 'application/json' };

describe('the route list', () => {
  it('has routes with bodies, query strings and ids to test', () => {
    expect(withBody.length).toBeGreaterThan(10);
    expect(withQuery.length).toBeGreaterThan(0);
    expect(withParams.length).toBeGreaterThan(5);
    // These tests send as an owner, who must get past the access guard to reach validation.
    for (const route of apiRoutes) {
      const access = route.access;
      expect(access, `${label(route)} declares no access`).toBeDefined();
      for (const permission of access?.level === 'member' ? (access.permissions ?? []) : []) expect(builtInRoles.owner, label(route)).toContain(permission);
    }
  });

  it('uses the default body limit of 64 KiB', () => {
    expect(h.config.bodyLimitBytes).toBe(65_536);
  });
});

describe.each(writes.map((route) => [label(route), route] as const))('%s: unreadable bodies', (_name, route) => {
  let org: TestOrganisation;
  let caller: TestAgent;
  beforeAll(async () => {
    org = await createTestOrganisation(h);
    caller = await callerFor(route, org);
  });

  it('answers malformed JSON with 400 MALFORMED_REQUEST', async () => {
    const response = await caller.request(route.method as 'POST', urlOf(route), undefined, { rawBody: '{"a":', headers: json });
    expectCleanError(response, 'MALFORMED_REQUEST');
    const empty = await caller.request(route.method as 'POST', urlOf(route), undefined, { rawBody: '', headers: json });
    expectCleanError(empty, 'MALFORMED_REQUEST');
  });

  it('refuses prototype-poisoning keys with 400 MALFORMED_REQUEST', async () => {
    const sent = marker();
    for (const rawBody of [`{"__proto__":{"isAdmin":"${sent}"}}`, `{"constructor":{"prototype":{"isAdmin":"${sent}"}}}`]) {
      const response = await caller.request(route.method as 'POST', urlOf(route), undefined, { rawBody, headers: json });
      expectCleanError(response, 'MALFORMED_REQUEST', sent);
    }
  });

  it('answers a body over the limit (~70 KB) with 413 PAYLOAD_TOO_LARGE', async () => {
    const sent = marker();
    const response = await caller.request(route.method as 'POST', urlOf(route), { padding: `${sent}${'x'.repeat(70_000)}` });
    expectCleanError(response, 'PAYLOAD_TOO_LARGE', sent);
  });

  // Upload routes (they declare `consumes: multipart/form-data`) take a multipart body, and a
  // form field where the file should be is answered FILE_REQUIRED; every other route refuses it.
  const takesUploads = ((route.schema as { consumes?: string[] } | undefined)?.consumes ?? []).includes('multipart/form-data');
  it(`answers text/plain and form bodies with 415 UNSUPPORTED_MEDIA_TYPE, multipart ones with ${takesUploads ? '400 FILE_REQUIRED' : '415'}`, async () => {
    const sent = marker();
    for (const [type, rawBody, code] of [
      ['text/plain', JSON.stringify({ note: sent }), 'UNSUPPORTED_MEDIA_TYPE'],
      ['application/x-www-form-urlencoded', `note=${sent}`, 'UNSUPPORTED_MEDIA_TYPE'],
      ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="note"\r\n\r\n${sent}\r\n--x--\r\n`, takesUploads ? 'FILE_REQUIRED' : 'UNSUPPORTED_MEDIA_TYPE'],
    ] as const) {
      const response = await caller.request(route.method as 'POST', urlOf(route), undefined, { rawBody, headers: { 'content-type': type } });
      expectCleanError(response, code, sent);
    }
  });
});

describe.each(withBody.map((route) => [label(route), route] as const))('%s: invalid bodies', (_name, route) => {
  let caller: TestAgent;
  const shape = jsonSchemaOf(zodOf(route.schema?.body)!);
  beforeAll(async () => {
    caller = await callerFor(route, await createTestOrganisation(h));
  });
  const send = (body: unknown) => caller.request(route.method as 'POST', urlOf(route), body);

  it('answers a wrong type in any field with 400 VALIDATION_FAILED naming that field', async () => {
    const fields = leaves(shape);
    expect(fields.length).toBeGreaterThan(0);
    for (const field of fields) {
      const sent = marker();
      for (const wrong of wrongTypes(field.node, sent)) {
        const response = await send(nest(field.path, wrong));
        expectCleanError(response, 'VALIDATION_FAILED', sent);
        expect(fieldPaths(response), `${field.path.join('.')} = ${JSON.stringify(wrong)}`).toContain(field.path.join('.'));
      }
    }
  });

  it('answers an unknown extra field, at any depth, with 400 VALIDATION_FAILED naming the field', async () => {
    for (const path of objects(shape)) {
      const sent = marker();
      const response = await send(nest([...path, 'unexpectedField'], sent));
      expectCleanError(response, 'VALIDATION_FAILED', sent);
      expect(fieldPaths(response)).toContain([...path, 'unexpectedField'].join('.'));
    }
  });

  it('answers bodies that are not objects with 400 and never a 500', async () => {
    for (const rawBody of ['null', '[]', '"text"', '12', 'true', `{"deep":${'['.repeat(2000)}${']'.repeat(2000)}}`]) {
      const response = await caller.request(route.method as 'POST', urlOf(route), undefined, { rawBody, headers: json });
      expectCleanError(response, 'VALIDATION_FAILED');
    }
  });
});

describe.each(withQuery.map((route) => [label(route), route] as const))('%s: invalid query strings', (_name, route) => {
  let caller: TestAgent;
  const shape = jsonSchemaOf(zodOf(route.schema?.querystring)!);
  beforeAll(async () => {
    caller = await callerFor(route, await createTestOrganisation(h));
  });

  it('answers an invalid value in any parameter with 400 VALIDATION_FAILED naming it', async () => {
    let tested = 0;
    for (const [name, node] of Object.entries(shape.properties ?? {})) {
      const sent = marker();
      const value = invalidQueryValue(node, sent);
      if (value === null) continue; // a free-form string with no limit: nothing to violate
      tested += 1;
      const response = await caller.get(`${urlOf(route)}?${name}=${encodeURIComponent(value)}`);
      expectCleanError(response, 'VALIDATION_FAILED', sent);
      expect(fieldPaths(response), name).toContain(name);
    }
    expect(tested).toBeGreaterThan(0);
  });

  it('answers an unknown parameter with 400 VALIDATION_FAILED', async () => {
    const sent = marker();
    const response = await caller.get(`${urlOf(route)}?unexpectedParameter=${sent}`);
    expectCleanError(response, 'VALIDATION_FAILED', sent);
    expect(fieldPaths(response)).toContain('unexpectedParameter');
  });

  it('answers a repeated parameter with 400 VALIDATION_FAILED', async () => {
    const [name] = Object.keys(shape.properties ?? {});
    const response = await caller.get(`${urlOf(route)}?${name}=1&${name}=2`);
    expectCleanError(response, 'VALIDATION_FAILED');
  });
});

describe.each(withParams.map((route) => [label(route), route] as const))('%s: invalid ids', (_name, route) => {
  let caller: TestAgent;
  beforeAll(async () => {
    caller = await callerFor(route, await createTestOrganisation(h));
  });
  const send = (url: string) => caller.request(route.method as 'POST', url, route.schema?.body ? {} : undefined);

  it('answers a non-UUID :id with 400 VALIDATION_FAILED naming id', async () => {
    for (const id of ['not-a-uuid', '12345', '00000000-0000-0000-0000-00000000000g', "1'%20or%20'1'%3D'1", '%00']) {
      const sent = marker();
      const response = await send(urlOf(route, `${id}${sent}`));
      expectCleanError(response, 'VALIDATION_FAILED', sent);
      expect(fieldPaths(response)).toContain('id');
    }
  });

  // Router errors reach our error mapper through Fastify's `frameworkErrors` (app.ts).
  it('answers an over-long :id with a 400 error body that does not echo it', async () => {
    const sent = marker();
    const response = await send(urlOf(route, `${sent}${'a'.repeat(250)}`));
    expect(response.status).toBe(400);
    expectCleanError(response, response.body?.error?.code === 'VALIDATION_FAILED' ? 'VALIDATION_FAILED' : 'MALFORMED_REQUEST', sent);
  });

  it('answers a badly percent-encoded :id with 400 MALFORMED_REQUEST that does not echo it', async () => {
    const sent = marker();
    const response = await send(urlOf(route, `${sent}%E0%A4%A`));
    expectCleanError(response, 'MALFORMED_REQUEST', sent);
  });
});

describe('unknown routes', () => {
  it('answer 404 ROUTE_NOT_FOUND for every method, signed in or not, without echoing the path', async () => {
    const org = await createTestOrganisation(h);
    for (const agent of [org.owner.agent, new TestAgent(h.app)]) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        const sent = marker();
        const response = await agent.request(method, `/api/v1/no-such-route-${sent}`, method === 'GET' ? undefined : {});
        expectCleanError(response, 'ROUTE_NOT_FOUND', sent);
        const nested = await agent.request(method, `/api/v1/staff/${randomUuid()}/no-such-action-${sent}`, method === 'GET' ? undefined : {});
        expectCleanError(nested, 'ROUTE_NOT_FOUND', sent);
      }
    }
  });

  it('answer an unsupported method on a known path with the error body, not a 500', async () => {
    const org = await createTestOrganisation(h);
    const pattern = (url: string) => new RegExp(`^${url.replace(/:[a-z]+/gi, '[^/]+')}$`);
    for (const route of apiRoutes) {
      const url = urlOf(route);
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        // e.g. DELETE /sessions/end-others is DELETE /sessions/:id with a non-UUID id: a 400, tested above.
        if (apiRoutes.some((r) => r.method === method && pattern(r.url).test(url))) continue;
        const response = await org.owner.agent.request(method, url, method === 'GET' ? undefined : {});
        // The catalogue has METHOD_NOT_ALLOWED, but the server answers like an unknown route.
        expectCleanError(response, 'ROUTE_NOT_FOUND');
      }
    }
  });
});

/*
 * Values that pass the schema but that the database cannot store. PostgreSQL text cannot hold
 * U+0000; such a value must be refused as invalid input (400), not crash the request (500).
 */
describe('a NUL character in an otherwise valid value', () => {
  const nul = (sent: string) => `Name\u0000${sent}`;

  it('is refused with 400 VALIDATION_FAILED when changing my profile', async () => {
    const org = await createTestOrganisation(h);
    const sent = marker();
    expectCleanError(await org.owner.agent.patch('/api/v1/me', { name: nul(sent) }), 'VALIDATION_FAILED', sent);
    expect((await org.owner.agent.get('/api/v1/me')).body.account.name).not.toContain('\u0000');
  });

  it('is refused with 400 VALIDATION_FAILED when changing the organisation', async () => {
    const org = await createTestOrganisation(h);
    const sent = marker();
    const before = (await org.owner.agent.get('/api/v1/organisation')).body;
    expectCleanError(await org.owner.agent.patch('/api/v1/organisation', { city: nul(sent) }), 'VALIDATION_FAILED', sent);
    expect((await org.owner.agent.get('/api/v1/organisation')).body).toEqual(before);
  });

  it('is refused with 400 VALIDATION_FAILED when signing up', async () => {
    const sent = marker();
    const body = signupBody();
    body.organisation.name = nul(sent);
    expectCleanError(await new TestAgent(h.app).post('/api/v1/signup', body), 'VALIDATION_FAILED', sent);
    expect(h.mailer.last(body.owner.email)).toBeUndefined();
  });

  it('is refused with 400 VALIDATION_FAILED when accepting an invitation, which stays usable', async () => {
    const org = await createTestOrganisation(h);
    const email = `nul-${unique()}@example.org`;
    expect((await org.owner.agent.post('/api/v1/invitations', { email, role: 'assistant' })).status).toBe(201);
    const token = h.mailer.lastToken(email, 'invitation');
    const sent = marker();
    const agent = new TestAgent(h.app);
    expectCleanError(await agent.post('/api/v1/invitations/accept', { token, password: strongPassword(), name: nul(sent) }), 'VALIDATION_FAILED', sent);
    expect((await agent.post('/api/v1/invitations/preview', { token })).status).toBe(200);
  });

  it('is refused with 400 VALIDATION_FAILED in an audit filter', async () => {
    const org = await createTestOrganisation(h);
    const sent = marker();
    expectCleanError(await org.owner.agent.get(`/api/v1/audit-events?resourceId=${encodeURIComponent(nul(sent))}`), 'VALIDATION_FAILED', sent);
  });

  it('is refused with 400 VALIDATION_FAILED in a staff member’s profile as well', async () => {
    const org = await createTestOrganisation(h);
    const member = await addMember(h, org, 'practitioner');
    const sent = marker();
    expectCleanError(await member.agent.patch('/api/v1/me', { profession: nul(sent) }), 'VALIDATION_FAILED', sent);
  });
});
