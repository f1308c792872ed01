import {
  LoginRequest,
  LoginResponse,
  Me,
  PasswordChangeRequest,
  PasswordResetConfirm,
  PasswordResetRequest,
  SelectOrganisationRequest,
  SessionState,
  SignupRequest,
  SignupResponse,
  TokenRequest,
  UnlockRequest,
  PasswordPolicy,
  defaultPasswordPolicy,
} from '@haven/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../core/context.ts';
import { access, strictRateLimit } from '../../core/http/access.ts';
import { setDeviceCookie } from '../devices/device-cookie.ts';
import { clearSessionCookie, setSessionCookies } from '../sessions/cookies.ts';
import { login, logout, selectOrganisation, unlockSession } from './login-service.ts';
import { changePassword, confirmPasswordReset, requestPasswordReset } from './password-service.ts';
import { signUp, verifyEmail } from './signup-service.ts';

const tags = ['auth'];

export function authRoutes(app: FastifyInstance, services: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { config } = services;
  const strict = strictRateLimit(config);

  r.post('/signup', { schema: { tags, summary: 'Sign up a practice and its owner', body: SignupRequest, response: { 202: SignupResponse } }, config: { access: access.public, ...strict } }, async (request, reply) => {
    await signUp(request.ctx, request.body);
    return reply.status(202).send({ status: 'verification_sent' as const });
  });

  r.get('/password-policy', { schema: { tags, summary: 'The default password policy (for sign-up)', response: { 200: PasswordPolicy } }, config: { access: access.public } }, async () => defaultPasswordPolicy);

  r.post('/auth/verify-email', { schema: { tags, summary: 'Confirm an e-mail address with the link token', body: TokenRequest, response: { 200: z.object({ verified: z.literal(true) }) } }, config: { access: access.public, ...strict } }, async (request) => {
    await verifyEmail(request.ctx, request.body);
    return { verified: true as const };
  });

  r.post('/auth/login', { schema: { tags, summary: 'Sign in with e-mail and password', body: LoginRequest, response: { 200: LoginResponse } }, config: { access: access.public, ...strict } }, async (request, reply) => {
    const { issued, deviceToken, ...answer } = await login(request.ctx, request.body);
    setSessionCookies(reply, config, issued);
    if (deviceToken) setDeviceCookie(reply, config, deviceToken);
    return answer;
  });

  r.post('/auth/select-organisation', { schema: { tags, summary: 'Choose the organisation to work in', body: SelectOrganisationRequest, response: { 200: z.object({ me: Me }) } }, config: { access: access.account } }, async (request, reply) => {
    const { me, issued } = await selectOrganisation(request.ctx, { unverifiedOrgId: request.body.organisationId });
    setSessionCookies(reply, config, issued);
    return { me };
  });

  r.post('/auth/logout', { schema: { tags, summary: 'Sign out and end this session' }, config: { access: access.public } }, async (request, reply) => {
    await logout(request.ctx);
    clearSessionCookie(reply, config);
    reply.header('clear-site-data', '"cache", "storage"');
    return reply.status(204).send();
  });

  r.get('/auth/session', { schema: { tags, summary: 'Lock state of the session (not counted as activity)', response: { 200: SessionState } }, config: { access: access.public, passive: true } }, async (request) => {
    const { principal, sessionState } = request.ctx;
    if (!principal || sessionState === 'none') return { state: 'none' as const, pending: null, idleTimeoutSeconds: null, idleExpiresAt: null, absoluteExpiresAt: null };
    return {
      state: sessionState,
      pending: principal.pending,
      idleTimeoutSeconds: principal.idleTimeoutSeconds,
      idleExpiresAt: new Date(principal.lastActiveAt.getTime() + principal.idleTimeoutSeconds * 1000).toISOString(),
      absoluteExpiresAt: principal.absoluteExpiresAt.toISOString(),
    };
  });

  r.post('/auth/heartbeat', { schema: { tags, summary: 'Report user activity (typing, clicks) to keep the session from locking' }, config: { access: access.account } }, async (_request, reply) => reply.status(204).send());

  r.post('/auth/unlock', { schema: { tags, summary: 'Unlock an idle-locked session with the password', body: UnlockRequest, response: { 200: z.object({ me: Me }) } }, config: { access: access.locked, ...strict } }, async (request, reply) => {
    const { me, issued } = await unlockSession(request.ctx, request.body);
    setSessionCookies(reply, config, issued);
    return { me };
  });

  r.post('/auth/password-reset', { schema: { tags, summary: 'Request a password reset link', body: PasswordResetRequest, response: { 202: z.object({ status: z.literal('sent_if_known') }) } }, config: { access: access.public, ...strict } }, async (request, reply) => {
    await requestPasswordReset(request.ctx, request.body);
    return reply.status(202).send({ status: 'sent_if_known' as const });
  });

  r.post('/auth/password-reset/confirm', { schema: { tags, summary: 'Set a new password with a reset link', body: PasswordResetConfirm, response: { 200: z.object({ status: z.literal('password_reset') }) } }, config: { access: access.public, ...strict } }, async (request, reply) => {
    await confirmPasswordReset(request.ctx, request.body);
    clearSessionCookie(reply, config);
    return { status: 'password_reset' as const };
  });

  r.post('/me/password', { schema: { tags, summary: 'Change my password (ends my other sessions)', body: PasswordChangeRequest, response: { 200: z.object({ status: z.literal('password_changed') }) } }, config: { access: access.account, ...strict } }, async (request, reply) => {
    const issued = await changePassword(request.ctx, request.body);
    setSessionCookies(reply, config, issued);
    return { status: 'password_changed' as const };
  });
}
