import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Services } from './core/context.ts';
import { AppError } from './core/errors.ts';
import { answerFrameworkError, registerErrorHandler } from './core/http/error-handler.ts';
import { countsTowardRateLimit } from './core/http/rate-limit.ts';
import { newId } from './core/security/tokens.ts';
import { accountRoutes } from './features/accounts/routes.ts';
import { auditRoutes } from './features/audit/routes.ts';
import { authRoutes } from './features/auth/routes.ts';
import { secondFactorRoutes } from './features/second-factor/routes.ts';
import { deviceRoutes } from './features/devices/routes.ts';
import { passkeyRoutes } from './features/passkeys/routes.ts';
import { organisationFileRoutes } from './features/organisation-files/routes.ts';
import { organisationRoutes } from './features/organisations/routes.ts';
import { patientRoutes } from './features/patients/routes.ts';
import { patientAccountRoutes } from './features/patient-accounts/routes.ts';
import { careTeamRoutes } from './features/care-teams/routes.ts';
import { dossierRoutes } from './features/dossier/routes.ts';
import { patientDocumentRoutes } from './features/patient-documents/routes.ts';
import { portalRoutes } from './features/portal/routes.ts';
import { registerAccessGuard } from './features/sessions/guard.ts';
import { sessionRoutes } from './features/sessions/routes.ts';
import { staffRoutes } from './features/staff/routes.ts';
import { roleRoutes } from './features/roles/routes.ts';

export const webDistDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

/**
 * Assembles the HTTP server: security plugins, the access guard, the error mapper, the API
 * features under /api/v1, the OpenAPI document, health checks and the web app.
 */
export async function buildApp(services: Services): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    loggerInstance: services.logger,
    // Request ids are ours; a client-supplied id would let someone forge log correlation.
    genReqId: () => newId(),
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    ...(config.tls ? { https: { cert: config.tls.cert, key: config.tls.key, minVersion: 'TLSv1.2' as const } } : {}),
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: answerFrameworkError,
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: anything else is refused with 415 before it reaches a handler.
  app.removeContentTypeParser('text/plain');

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // The component library sets style attributes; scripts stay strictly same-origin.
        styleSrc: ["'self'", "'unsafe-inline'"],
        // blob: only for the document preview (components/file-preview.tsx): an image or PDF the
        // page itself fetched with the session and wrapped in an object URL of the listed type.
        imgSrc: ["'self'", 'data:', 'blob:'],
        frameSrc: ['blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(config.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: config.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  });
  // Routes that name a stricter limit (sign-in, sign-up, reset, links: `strictRateLimit`) get it
  // from the plugin, per route and address. The general limit is an app-wide onRequest hook of
  // its own, added before the access guard: as a per-route hook it ran after the guard, so
  // refused requests (no session, wrong role: each one a session lookup, many an audit record)
  // never counted, and the strict routes escaped it.
  await app.register(fastifyRateLimit, {
    global: false,
    max: config.rateLimit.perMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) => new AppError('RATE_LIMITED', { retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)) }),
  });
  const generalRateLimit = app.createRateLimit({ allowList: (request) => !countsTowardRateLimit(request.url) });
  app.addHook('onRequest', async (request) => {
    const verdict = await generalRateLimit(request);
    if (!verdict.isAllowed && verdict.isExceeded) throw new AppError('RATE_LIMITED', { retryAfterSeconds: Math.max(1, verdict.ttlInSeconds) });
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Haven API',
        version: '1',
        description:
          'The JSON API of Haven. Authentication is a session cookie; every non-GET request carries the header `x-csrf-token` equal to the `haven_csrf` cookie (`__Host-haven_csrf` over HTTPS). Errors are `{ error: { code, message, requestId } }`; codes are listed in docs/errors.md.',
      },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'haven_session' } } },
      security: [{ session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: false });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerAccessGuard(app, services);
  registerErrorHandler(app, { spaIndex: config.serveWeb && existsSync(path.join(webDistDir, 'index.html')) });

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.get('/healthz', { config: { rateLimit: false } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { rateLimit: false } }, async (_request, reply) => {
    try {
      await services.db.ping();
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ status: 'not_ready' });
    }
  });

  await app.register(
    async (api) => {
      authRoutes(api, services);
      accountRoutes(api, services);
      sessionRoutes(api);
      organisationRoutes(api);
      staffRoutes(api, services);
      roleRoutes(api);
      auditRoutes(api);
      secondFactorRoutes(api, services);
      deviceRoutes(api, services);
      passkeyRoutes(api, services);
      patientRoutes(api);
      patientAccountRoutes(api, services);
      careTeamRoutes(api);
      dossierRoutes(api);
      await organisationFileRoutes(api, services);
      await patientDocumentRoutes(api, services);
      portalRoutes(api);
    },
    { prefix: '/api/v1' },
  );

  if (config.serveWeb && existsSync(webDistDir)) {
    await app.register(fastifyStatic, { root: webDistDir, wildcard: false, index: ['index.html'] });
  }
  return app;
}
