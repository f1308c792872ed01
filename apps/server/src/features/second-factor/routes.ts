import { AddPhoneRequest, CodeSent, ConfirmCodeFactorRequest, ConfirmTotpRequest, SendCodeRequest, LoginResponse, Me, PendingSecondFactor, RecoveryCodes, SecondFactorRequest, SecuritySummary, StepUpRequest, TotpSetup } from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../core/context.ts';
import { access, strictRateLimit } from '../../core/http/access.ts';
import { setSessionCookies } from '../sessions/cookies.ts';
import { confirmEmailCodeSetup, confirmPhoneSetup, removeEmailCode, removePhone, sendFactorCode, startEmailCodeSetup, startPhoneSetup } from './code-factors-service.ts';
import { completeSignIn, confirmTotpSetup, pendingSecondFactor, regenerateRecoveryCodes, removeTotp, securitySummary, startTotpSetup, stepUp } from './service.ts';

const tags = ['second factor'];

export function secondFactorRoutes(app: FastifyInstance, services: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const strict = strictRateLimit(services.config);
  const { config } = services;

  r.get(
    '/auth/second-factor',
    { schema: { tags, summary: 'What the waiting second step of signing in offers (methods, trusted-browser hours)', response: { 200: PendingSecondFactor } }, config: { access: access.secondFactor } },
    async (request) => pendingSecondFactor(request.ctx),
  );
  r.post(
    '/auth/second-factor',
    { schema: { tags, summary: 'Finish signing in with a second factor', body: SecondFactorRequest, response: { 200: LoginResponse } }, config: { access: access.secondFactor, ...strict } },
    async (request, reply) => {
      const { issued, ...answer } = await completeSignIn(request.ctx, request.body);
      setSessionCookies(reply, config, issued);
      return answer;
    },
  );
  r.post(
    '/auth/step-up',
    { schema: { tags, summary: 'Confirm it is you (second factor, or the password without one) for sensitive actions', body: StepUpRequest, response: { 200: z.object({ reauthenticatedAt: z.string() }) } }, config: { access: access.account, ...strict } },
    async (request) => stepUp(request.ctx, request.body),
  );

  r.get('/me/security', { schema: { tags, summary: 'My second factors and recovery codes', response: { 200: SecuritySummary } }, config: { access: access.enrolment } }, async (request) => securitySummary(request.ctx));
  r.post(
    '/me/totp/setup',
    { schema: { tags, summary: 'Start setting up an authenticator app (secret and QR code)', response: { 200: TotpSetup } }, config: { access: access.stepUp(access.enrolment) } },
    async (request) => startTotpSetup(request.ctx),
  );
  r.post(
    '/me/totp/confirm',
    {
      schema: { tags, summary: 'Confirm the authenticator app with its first code', body: ConfirmTotpRequest, response: { 200: z.object({ recoveryCodes: z.array(z.string()).nullable(), me: Me.nullable() }) } },
      config: { access: access.stepUp(access.enrolment), ...strict },
    },
    async (request, reply) => {
      const { issued, ...answer } = await confirmTotpSetup(request.ctx, request.body);
      if (issued) setSessionCookies(reply, config, issued);
      return answer;
    },
  );
  r.delete('/me/totp', { schema: { tags, summary: 'Remove the authenticator app' }, config: { access: access.stepUp(access.account) } }, async (request, reply) => {
    await removeTotp(request.ctx);
    return reply.status(204).send();
  });
  // ---- codes by SMS and e-mail (sent on request; "send again" is the same call) ----
  r.post(
    '/auth/second-factor/send',
    { schema: { tags, summary: 'Send a code by SMS or e-mail for the second step of signing in', body: SendCodeRequest, response: { 200: CodeSent } }, config: { access: access.secondFactor, ...strict } },
    async (request) => sendFactorCode(request.ctx, { method: request.body.method, purpose: 'sign_in' }),
  );
  r.post(
    '/auth/step-up/send',
    { schema: { tags, summary: 'Send a code by SMS or e-mail to confirm it is you', body: SendCodeRequest, response: { 200: CodeSent } }, config: { access: access.account, ...strict } },
    async (request) => sendFactorCode(request.ctx, { method: request.body.method, purpose: 'step_up' }),
  );
  const confirmed = z.object({ recoveryCodes: z.array(z.string()).nullable(), me: Me.nullable() });
  r.post(
    '/me/email-code/setup',
    { schema: { tags, summary: 'Start turning on sign-in codes by e-mail (a first code is mailed)', response: { 200: CodeSent } }, config: { access: access.stepUp(access.enrolment), ...strict } },
    async (request) => startEmailCodeSetup(request.ctx),
  );
  r.post(
    '/me/email-code/confirm',
    { schema: { tags, summary: 'Turn on sign-in codes by e-mail with the code just mailed', body: ConfirmCodeFactorRequest, response: { 200: confirmed } }, config: { access: access.stepUp(access.enrolment), ...strict } },
    async (request, reply) => {
      const { issued, ...answer } = await confirmEmailCodeSetup(request.ctx, request.body);
      if (issued) setSessionCookies(reply, config, issued);
      return answer;
    },
  );
  r.delete('/me/email-code', { schema: { tags, summary: 'Turn off sign-in codes by e-mail' }, config: { access: access.stepUp(access.account) } }, async (request, reply) => {
    await removeEmailCode(request.ctx);
    return reply.status(204).send();
  });
  r.post(
    '/me/phone',
    { schema: { tags, summary: 'Add a phone for sign-in codes by SMS (a first code is texted to verify it)', body: AddPhoneRequest, response: { 200: CodeSent } }, config: { access: access.stepUp(access.enrolment), ...strict } },
    async (request) => startPhoneSetup(request.ctx, request.body),
  );
  r.post(
    '/me/phone/confirm',
    { schema: { tags, summary: 'Verify the phone with the code just texted', body: ConfirmCodeFactorRequest, response: { 200: confirmed } }, config: { access: access.stepUp(access.enrolment), ...strict } },
    async (request, reply) => {
      const { issued, ...answer } = await confirmPhoneSetup(request.ctx, request.body);
      if (issued) setSessionCookies(reply, config, issued);
      return answer;
    },
  );
  r.delete('/me/phone', { schema: { tags, summary: 'Remove the phone for sign-in codes by SMS' }, config: { access: access.stepUp(access.account) } }, async (request, reply) => {
    await removePhone(request.ctx);
    return reply.status(204).send();
  });
  r.post('/me/recovery-codes', { schema: { tags, summary: 'Make a new set of recovery codes (the old set stops working)', response: { 200: RecoveryCodes } }, config: { access: access.stepUp(access.account) } }, async (request) =>
    regenerateRecoveryCodes(request.ctx),
  );
}
