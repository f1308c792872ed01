import { DeviceList, LoginResponse, NotMeResponse, TokenRequest, Uuid } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../core/context.ts';
import { access, strictRateLimit } from '../../core/http/access.ts';
import { setSessionCookies } from '../sessions/cookies.ts';
import { confirmHeldSignIn, continueHeldSignIn, reportNotMe } from './confirmation-service.ts';
import { listMyDevices, revokeAllMyDeviceTrust, revokeMyDeviceTrust } from './service.ts';

const tags = ['devices'];

export function deviceRoutes(app: FastifyInstance, services: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { config } = services;
  const strict = strictRateLimit(config);

  // ---- held sign-ins ----
  r.post(
    '/auth/confirm-sign-in',
    { schema: { tags: ['auth'], summary: 'Confirm a held sign-in with the link from the e-mail', body: TokenRequest, response: { 200: z.object({ confirmed: z.literal(true) }) } }, config: { access: access.public, ...strict } },
    async (request) => {
      await confirmHeldSignIn(request.ctx, request.body);
      return { confirmed: true as const };
    },
  );
  r.post(
    '/auth/confirm-sign-in/continue',
    { schema: { tags: ['auth'], summary: 'Continue a held sign-in once its link was opened', response: { 200: LoginResponse } }, config: { access: access.held } },
    async (request, reply) => {
      const { issued, ...answer } = await continueHeldSignIn(request.ctx);
      setSessionCookies(reply, config, issued);
      return answer;
    },
  );
  r.post(
    '/auth/not-me',
    { schema: { tags: ['auth'], summary: "This wasn't me: end every session, end all device trust, require a new password", body: TokenRequest, response: { 200: NotMeResponse } }, config: { access: access.public, ...strict } },
    async (request) => reportNotMe(request.ctx, request.body),
  );

  // ---- my devices ----
  r.get('/me/devices', { schema: { tags, summary: 'My known browsers and their trust', response: { 200: DeviceList } }, config: { access: access.account } }, async (request) => listMyDevices(request.ctx));
  r.delete('/me/devices/:id/trust', { schema: { tags, summary: 'Stop trusting one of my browsers', params: z.strictObject({ id: Uuid }) }, config: { access: access.account } }, async (request, reply) => {
    await revokeMyDeviceTrust(request.ctx, { unverifiedDeviceId: request.params.id });
    return reply.status(204).send();
  });
  r.post('/me/devices/end-trust', { schema: { tags, summary: 'Stop trusting all my browsers', response: { 200: z.object({ revoked: z.number().int() }) } }, config: { access: access.account } }, async (request) => ({
    revoked: await revokeAllMyDeviceTrust(request.ctx),
  }));
}
