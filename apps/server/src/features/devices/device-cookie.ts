import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../core/config.ts';
import { newToken, sha256 } from '../../core/security/tokens.ts';

/**
 * The device cookie: a random 256-bit identifier that lets Haven recognise a browser it has seen
 * sign in before (new-device signal, trusted device). HttpOnly (no script needs it), Secure and
 * `__Host-` over HTTPS, SameSite=Lax (it names a browser, it authorises nothing: the session
 * cookie does that), and long-lived — 400 days, the most RFC 6265bis lets a browser keep one.
 * The server stores it only hashed together with the account (`deviceHashFor`).
 */
export const deviceCookieMaxAgeSeconds = 400 * 24 * 3600;

export const deviceCookieName = (config: Pick<Config, 'https'>): string => `${config.https ? '__Host-' : ''}haven_device`;

export function readDeviceToken(request: FastifyRequest, config: Pick<Config, 'https'>): string | null {
  const token = request.cookies?.[deviceCookieName(config)];
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}

export function setDeviceCookie(reply: FastifyReply, config: Pick<Config, 'https'>, token: string): void {
  reply.setCookie(deviceCookieName(config), token, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.https, maxAge: deviceCookieMaxAgeSeconds });
}

export const newDeviceToken = (): string => newToken();

/**
 * The stored form of a device for one account. Bound to the account, so the same browser used by
 * two accounts gives two unrelated values (the table does not link the accounts), and trust given
 * to one account's device is nothing for another's.
 */
export const deviceHashFor = (accountId: string, token: string): Buffer => sha256(`${accountId}:${token}`);
