import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../core/config.ts';
import type { IssuedSession } from './repository.ts';

/**
 * Cookie names and flags. Over HTTPS the `__Host-` prefix pins them to this host, Secure and
 * Path=/. The session cookie is HttpOnly and SameSite=Strict; the CSRF cookie must be readable
 * by the web app (it echoes it in the x-csrf-token header), so it is not HttpOnly.
 */
export function cookieNames(config: Config) {
  const prefix = config.https ? '__Host-' : '';
  return { session: `${prefix}haven_session`, csrf: `${prefix}haven_csrf` };
}

export function setSessionCookies(reply: FastifyReply, config: Config, issued: IssuedSession): void {
  const names = cookieNames(config);
  // No Max-Age: the cookie dies with the browser; the server enforces idle and absolute limits.
  reply.setCookie(names.session, issued.token, { path: '/', httpOnly: true, sameSite: 'strict', secure: config.https });
  setCsrfCookie(reply, config, issued.csrfToken);
}

export function setCsrfCookie(reply: FastifyReply, config: Config, csrfToken: string): void {
  reply.setCookie(cookieNames(config).csrf, csrfToken, { path: '/', httpOnly: false, sameSite: 'strict', secure: config.https });
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(cookieNames(config).session, { path: '/', httpOnly: true, sameSite: 'strict', secure: config.https });
}

export function readSessionToken(request: FastifyRequest, config: Config): string | null {
  const token = request.cookies[cookieNames(config).session];
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}

export function readCsrfCookie(request: FastifyRequest, config: Config): string | null {
  const token = request.cookies[cookieNames(config).csrf];
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}
