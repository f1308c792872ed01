import {
  LoginResponse,
  Passkey,
  PasskeyAssertionRequest,
  PasskeySecondFactorRequest,
  PasskeyCreationOptions,
  PasskeyList,
  PasskeyRequestOptions,
  PasskeySignInRequest,
  RegisterPasskeyRequest,
  RegisterPasskeyResponse,
  RenamePasskeyRequest,
  Uuid,
} from '@haven/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { access, strictRateLimit } from '../../core/http/access.ts';
import { setDeviceCookie } from '../devices/device-cookie.ts';
import { readCsrfCookie, setSessionCookies } from '../sessions/cookies.ts';
import { myPasskeys, registerPasskey, removeMyPasskey, renameMyPasskey, startPasskeyRegistration } from './service.ts';
import { completeSignInWithPasskey, signInWithPasskey, startPasskeySecondFactor, startPasskeySignIn, startPasskeyStepUp, stepUpWithPasskey } from './sign-in-service.ts';

const tags = ['passkeys'];
const byId = z.strictObject({ id: Uuid });

export function passkeyRoutes(app: FastifyInstance, services: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const strict = strictRateLimit(services.config);
  const { config } = services;

  /** The browser a passwordless ceremony belongs to: its CSRF cookie (the guard has checked it for every write). */
  const browserKey = (request: FastifyRequest): string => {
    const key = readCsrfCookie(request, config);
    if (!key) throw new AppError('CSRF_REJECTED', { internal: 'passwordless ceremony without a CSRF cookie' });
    return key;
  };

  // ---- my passkeys ----
  r.get('/me/passkeys', { schema: { tags, summary: 'My passkeys', response: { 200: PasskeyList } }, config: { access: access.enrolment } }, async (request) => myPasskeys(request.ctx));
  r.post(
    '/me/passkeys/registration-options',
    { schema: { tags, summary: 'Start registering a passkey (options for the browser)', response: { 200: PasskeyCreationOptions } }, config: { access: access.stepUp(access.enrolment) } },
    async (request) => startPasskeyRegistration(request.ctx),
  );
  r.post(
    '/me/passkeys',
    { schema: { tags, summary: 'Register the passkey the browser made, with a name', body: RegisterPasskeyRequest, response: { 201: RegisterPasskeyResponse } }, config: { access: access.stepUp(access.enrolment), ...strict } },
    async (request, reply) => {
      const { issued, ...answer } = await registerPasskey(request.ctx, request.body);
      if (issued) setSessionCookies(reply, config, issued);
      return reply.status(201).send(answer);
    },
  );
  r.patch(
    '/me/passkeys/:id',
    { schema: { tags, summary: 'Rename one of my passkeys', params: byId, body: RenamePasskeyRequest, response: { 200: Passkey } }, config: { access: access.stepUp(access.account) } },
    async (request) => renameMyPasskey(request.ctx, { passkeyId: request.params.id, name: request.body.name }),
  );
  r.delete('/me/passkeys/:id', { schema: { tags, summary: 'Remove one of my passkeys', params: byId }, config: { access: access.stepUp(access.account) } }, async (request, reply) => {
    await removeMyPasskey(request.ctx, { passkeyId: request.params.id });
    return reply.status(204).send();
  });

  // ---- passwordless sign-in ----
  r.post(
    '/auth/passkey/options',
    { schema: { tags, summary: 'Start signing in with a passkey, without a password', response: { 200: PasskeyRequestOptions } }, config: { access: access.public, ...strict } },
    async (request) => startPasskeySignIn(request.ctx, { browserKey: browserKey(request) }),
  );
  r.post(
    '/auth/passkey',
    { schema: { tags, summary: 'Sign in with a passkey', body: PasskeySignInRequest, response: { 200: LoginResponse } }, config: { access: access.public, ...strict } },
    async (request, reply) => {
      const { issued, deviceToken, ...answer } = await signInWithPasskey(request.ctx, { browserKey: browserKey(request), ...request.body });
      setSessionCookies(reply, config, issued);
      if (deviceToken) setDeviceCookie(reply, config, deviceToken);
      return answer;
    },
  );

  // ---- the second step of signing in ----
  r.post(
    '/auth/second-factor/passkey/options',
    { schema: { tags, summary: 'Start answering the second step of signing in with a passkey', response: { 200: PasskeyRequestOptions } }, config: { access: access.secondFactor } },
    async (request) => startPasskeySecondFactor(request.ctx),
  );
  r.post(
    '/auth/second-factor/passkey',
    { schema: { tags, summary: 'Finish signing in with a passkey as the second factor', body: PasskeySecondFactorRequest, response: { 200: LoginResponse } }, config: { access: access.secondFactor, ...strict } },
    async (request, reply) => {
      const { issued, ...answer } = await completeSignInWithPasskey(request.ctx, request.body);
      setSessionCookies(reply, config, issued);
      return answer;
    },
  );

  // ---- step-up ----
  r.post(
    '/auth/step-up/passkey/options',
    { schema: { tags, summary: 'Start confirming it is you with a passkey', response: { 200: PasskeyRequestOptions } }, config: { access: access.account } },
    async (request) => startPasskeyStepUp(request.ctx),
  );
  r.post(
    '/auth/step-up/passkey',
    { schema: { tags, summary: 'Confirm it is you with a passkey (for sensitive actions)', body: PasskeyAssertionRequest, response: { 200: z.object({ reauthenticatedAt: z.string() }) } }, config: { access: access.account, ...strict } },
    async (request) => stepUpWithPasskey(request.ctx, request.body),
  );
}
