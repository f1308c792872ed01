import type { Locale, RiskSignal } from '@haven/contracts';
import { eq } from 'drizzle-orm';
import { appendAudit } from '../../core/audit/record.ts';
import { auditMeta, type RequestContext } from '../../core/context.ts';
import type { Tx } from '../../core/db/database.ts';
import { accounts, sessions } from '../../core/db/schema.ts';
import type { OutgoingMail } from '../../core/mail/mailer.ts';
import { renderMail, utcMinute } from '../../core/mail/templates.ts';
import { issueActionToken } from '../../core/security/action-tokens.ts';
import type { AccountRow, MembershipWithOrganisation } from '../accounts/repository.ts';
import { deviceEvent } from './audit.ts';
import { deviceHashFor, newDeviceToken } from './device-cookie.ts';
import { countriesOf, findDevice, findSessionRow, lastSignInDevice, recordCountry, recordDeviceSignIn, trustDevice, type DeviceRow } from './repository.ts';
import { describeRisk, deviceLabel, riskLevel, riskSignals, type RiskLevel } from './risk.ts';

/** How long the link that releases a held sign-in works. */
export const holdLinkMinutes = 15;

/** What is known about a sign-in once its first factor was right (features/devices). */
export interface SignInAssessment {
  /** The browser, as stored for this account. */
  deviceHash: Buffer;
  /** A device cookie to set: the browser sent none (or a malformed one). */
  newDeviceToken: string | null;
  device: DeviceRow | undefined;
  country: string | null;
  signals: RiskSignal[];
  level: RiskLevel;
  /** The browser is trusted and the trust holds for this sign-in (not when the risk is high). */
  trusted: boolean;
  /** "Trust this browser" hours the person's practices allow (the strictest; 0: off). */
  trustHours: number;
}

/** The strictest of the person's practices: the fewest hours (0 turns trust off). */
export const trustHoursOf = (memberships: ReadonlyArray<Pick<MembershipWithOrganisation, 'trustedDeviceHours'>>): number =>
  memberships.length === 0 ? 0 : Math.min(...memberships.map((m) => m.trustedDeviceHours));

/**
 * Until when a device's trust holds now: the end set when it was given, cut short when a practice
 * has since lowered its limit (or turned trust off). Null: not trusted.
 */
export function trustedUntil(device: Pick<DeviceRow, 'trustedAt' | 'trustedUntil'> | undefined, hours: number, now: Date): Date | null {
  if (!device?.trustedAt || !device.trustedUntil || hours <= 0) return null;
  const end = new Date(Math.min(device.trustedUntil.getTime(), device.trustedAt.getTime() + hours * 3600_000));
  return end > now ? end : null;
}

/**
 * Looks at a sign-in whose password or passkey was right: which browser, which country, and what
 * is unusual about it (risk.ts). `deviceHash` is the one the session recorded at the password
 * step; otherwise it comes from the device cookie, or a new cookie is made. `failures` is the
 * account as read before this attempt's check.
 */
export async function assessSignIn(
  ctx: RequestContext,
  input: {
    account: Pick<AccountRow, 'id' | 'failuresSinceSignIn'>;
    memberships: ReadonlyArray<Pick<MembershipWithOrganisation, 'trustedDeviceHours'>>;
    deviceHash?: Buffer | null;
    /** Signals already seen at an earlier step of this sign-in. */
    earlier?: readonly RiskSignal[] | null;
  },
): Promise<SignInAssessment> {
  const { db, clock, geo } = ctx.services;
  const now = clock.now();
  const accountId = input.account.id;
  const token = input.deviceHash ? null : (ctx.deviceToken ?? null);
  const fresh = input.deviceHash || token ? null : newDeviceToken();
  const deviceHash = input.deviceHash ?? deviceHashFor(accountId, (token ?? fresh)!);
  const country = ctx.ip ? geo.countryOf(ctx.ip) : null;
  const { device, seen, last } = await db.identity(async (tx) => ({
    device: await findDevice(tx, accountId, deviceHash),
    seen: await countriesOf(tx, accountId),
    last: await lastSignInDevice(tx, accountId),
  }));
  const found = riskSignals({
    firstSignIn: last === undefined,
    knownDevice: device !== undefined,
    country,
    countriesSeen: seen,
    lastSignIn: last ? { at: last.lastSeenAt, country: last.lastCountry } : null,
    failuresSinceSignIn: input.account.failuresSinceSignIn,
    now,
  });
  const signals = [...new Set([...(input.earlier ?? []), ...found])] as RiskSignal[];
  const level = riskLevel(signals);
  const trustHours = trustHoursOf(input.memberships);
  // A trusted browser skips only the second factor, and never for a suspicious sign-in: from a
  // new country, after impossible travel or after many failures the second factor is asked.
  const trusted = level !== 'high' && trustedUntil(device, trustHours, now) !== null;
  return { deviceHash, newDeviceToken: fresh, device, country, signals, level, trusted, trustHours };
}

/** A high-risk sign-in is held until the person confirms it by e-mail. */
export const mustHold = (assessment: Pick<SignInAssessment, 'level'>): boolean => assessment.level === 'high';

export interface SettledSignIn {
  held: boolean;
  /** When the confirmation link of a held sign-in stops working. */
  holdExpiresAt: Date | null;
  /** To send after the transaction committed. */
  mails: OutgoingMail[];
}

/**
 * Settles a sign-in whose authentication is complete (password and second factor, a passkey, or
 * the password on a trusted browser), inside the transaction that writes its session: either it
 * is held — the session waits in 'confirmation' and a single-use link goes out — or it is let in,
 * the browser and country become known, the browser is trusted if asked, and a new browser is
 * announced to the holder with a "this wasn't me" link. The decision and its signals are audited.
 */
export async function settleSignIn(
  ctx: RequestContext,
  tx: Tx,
  input: {
    account: AccountRow;
    sessionId: string;
    auditOrg: string;
    actorRole: string | null;
    assessment: SignInAssessment;
    /** The person ticked "trust this browser" with their second factor. */
    trustDevice?: boolean;
    /** The second factor was skipped because the browser is trusted. */
    skippedSecondFactor?: boolean;
  },
): Promise<SettledSignIn> {
  const { clock, config } = ctx.services;
  const now = clock.now();
  const { account, assessment, sessionId } = input;
  const meta = { ...auditMeta(ctx, now), actorAccountId: account.id, actorRole: input.actorRole };
  const label = deviceLabel(ctx.userAgent);
  const details = { when: utcMinute(now), country: countryName(assessment.country, account.locale), device: label, name: account.name };

  if (mustHold(assessment)) {
    const link = await issueActionToken(tx, { purpose: 'sign_in_confirmation', accountId: account.id, now });
    await tx.update(sessions).set({ pending: 'confirmation', holdTokenId: link.id, riskSignals: assessment.signals }).where(eq(sessions.id, sessionId));
    const reason = describeRisk({ ...assessment, decision: 'held for confirmation by e-mail' });
    await appendAudit(tx, input.auditOrg, meta, deviceEvent({ action: 'auth.login_risk_assessed', outcome: 'denied', resourceType: 'session', resourceId: sessionId, reason }));
    await appendAudit(tx, input.auditOrg, meta, deviceEvent({ action: 'auth.login_held', outcome: 'denied', resourceType: 'session', resourceId: sessionId, reason }));
    const mail = renderMail('sign_in_confirmation', account.locale, account.email, { ...details, reasons: reasonsText(assessment.signals, account.locale) }, `${config.publicUrl}/confirm-sign-in#token=${link.token}`);
    return { held: true, holdExpiresAt: link.expiresAt, mails: [mail] };
  }

  const mails = await admitSignIn(ctx, tx, { account, sessionId, auditOrg: input.auditOrg, meta, assessment, label, details });
  if (input.skippedSecondFactor) {
    await appendAudit(tx, input.auditOrg, meta, deviceEvent({ action: 'auth.second_factor_skipped', outcome: 'success', resourceType: 'session', resourceId: sessionId, reason: 'trusted_device' }));
  }
  if (input.trustDevice && assessment.trustHours > 0) {
    const device = await findDevice(tx, account.id, assessment.deviceHash);
    if (device) {
      const until = new Date(now.getTime() + assessment.trustHours * 3600_000);
      await trustDevice(tx, device.id, now, until);
      await appendAudit(tx, input.auditOrg, meta, deviceEvent({ action: 'auth.device_trusted', outcome: 'success', resourceType: 'device', resourceId: device.id, reason: `for ${assessment.trustHours} hours` }));
    }
  }
  return { held: false, holdExpiresAt: null, mails };
}

/**
 * Lets a sign-in in: the browser and the country become known (last seen now), the decision is
 * audited, and a browser new to the account is announced with a "this wasn't me" link.
 */
export async function admitSignIn(
  ctx: RequestContext,
  tx: Tx,
  input: {
    account: AccountRow;
    sessionId: string;
    auditOrg: string;
    meta: ReturnType<typeof auditMeta>;
    assessment: Pick<SignInAssessment, 'country' | 'signals' | 'level'> & { deviceHash: Buffer | null };
    label?: string;
    details?: Record<string, string>;
    /** A held sign-in whose link was opened. */
    confirmed?: boolean;
  },
): Promise<OutgoingMail[]> {
  const { clock, config } = ctx.services;
  const now = clock.now();
  const { account, assessment } = input;
  const label = input.label ?? deviceLabel(ctx.userAgent);
  // Let in: the failures before it are no longer "since the last sign-in".
  await tx.update(accounts).set({ failuresSinceSignIn: 0 }).where(eq(accounts.id, account.id));
  if (assessment.deviceHash) await recordDeviceSignIn(tx, { accountId: account.id, deviceHash: assessment.deviceHash, label, country: assessment.country, now });
  if (assessment.country) await recordCountry(tx, account.id, assessment.country, now);
  const decision = `${input.confirmed ? 'confirmed by e-mail, ' : ''}${assessment.signals.includes('new_device') ? 'allowed; holder notified of the new device' : 'allowed'}`;
  await appendAudit(tx, input.auditOrg, input.meta, deviceEvent({ action: 'auth.login_risk_assessed', outcome: 'success', resourceType: 'session', resourceId: input.sessionId, reason: describeRisk({ ...assessment, decision }) }));
  await appendAudit(tx, input.auditOrg, input.meta, deviceEvent({ action: 'auth.login_succeeded', outcome: 'success', resourceType: 'session', resourceId: input.sessionId }));
  if (!assessment.signals.includes('new_device')) return [];
  const link = await issueActionToken(tx, { purpose: 'not_me', accountId: account.id, now });
  const details = input.details ?? { when: utcMinute(now), country: countryName(assessment.country, account.locale), device: label, name: account.name };
  return [renderMail('new_device_sign_in', account.locale, account.email, { ...details, name: account.name }, `${config.publicUrl}/not-me#token=${link.token}`)];
}

const unknownCountry: Record<Locale, string> = { en: 'an unknown country', de: 'unbekannt', nl: 'een onbekend land' };

/** "Germany" / "Deutschland" / "Duitsland" for DE, in the reader's language. */
export function countryName(code: string | null, locale: Locale): string {
  if (!code) return unknownCountry[locale];
  try {
    return new Intl.DisplayNames([locale], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

const reasonWords: Record<Locale, Record<RiskSignal, string>> = {
  en: { new_device: 'a browser not used before', new_country: 'a country not seen before', many_failures: 'many failed attempts before it', impossible_travel: 'a different country shortly after the last sign-in' },
  de: { new_device: 'ein bisher nicht verwendeter Browser', new_country: 'ein bisher nicht gesehenes Land', many_failures: 'viele Fehlversuche davor', impossible_travel: 'ein anderes Land kurz nach der letzten Anmeldung' },
  nl: { new_device: 'een nog niet gebruikte browser', new_country: 'een nog niet eerder gezien land', many_failures: 'veel mislukte pogingen ervoor', impossible_travel: 'een ander land kort na de vorige aanmelding' },
};

const reasonsText = (signals: readonly RiskSignal[], locale: Locale): string => signals.map((signal) => reasonWords[locale][signal]).join(', ');

/** Whether a device's stored hash belongs to the browser asking (its cookie). */
export const isCurrentDevice = (accountId: string, deviceToken: string | null | undefined, device: Pick<DeviceRow, 'deviceHash'>): boolean =>
  !!deviceToken && deviceHashFor(accountId, deviceToken).equals(device.deviceHash);

/**
 * The assessment after the second factor: the browser and the signals the session recorded at
 * the password step, plus what is seen now (the address may have changed; wrong codes since the
 * password count as failures too).
 */
export async function assessAfterSecondFactor(
  ctx: RequestContext,
  input: { account: AccountRow; memberships: ReadonlyArray<Pick<MembershipWithOrganisation, 'trustedDeviceHours'>>; sessionId: string },
): Promise<SignInAssessment> {
  const session = await ctx.services.db.identity((tx) => findSessionRow(tx, input.sessionId));
  return assessSignIn(ctx, {
    account: input.account,
    memberships: input.memberships,
    deviceHash: session?.deviceHash ?? null,
    earlier: (session?.riskSignals ?? []) as RiskSignal[],
  });
}
