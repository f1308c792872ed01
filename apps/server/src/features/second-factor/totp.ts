import { Secret, TOTP } from 'otpauth';

/**
 * Time-based one-time passwords (RFC 6238) through the `otpauth` library: HMAC-SHA-1, 6 digits,
 * 30-second steps — what every authenticator app understands (ASVS 6.5.5: at most 30 s).
 *
 * The library's `validate()` answers with a step *difference* (0 for the current step, -1 for
 * the previous one, +1 for the next) or null; 0 is falsy, so it is easy to misread. This module
 * turns it into the one thing the caller needs: the absolute step a code matched, or null.
 */
export const totpPeriodSeconds = 30;
export const totpDigits = 6;
export const totpAlgorithm = 'SHA1';
/** 160-bit secrets (RFC 4226 §4 recommends 160; NIST wants at least 112). */
export const totpSecretBytes = 20;

export const newTotpSecret = (): string => new Secret({ size: totpSecretBytes }).base32;

/** The time step a moment falls in. */
export const totpStepAt = (now: Date): number => Math.floor(now.getTime() / 1000 / totpPeriodSeconds);

/** The `otpauth://` URI an authenticator app reads from the QR code. */
export function totpUri(input: { secret: string; issuer: string; accountLabel: string }): string {
  return new TOTP({ issuer: input.issuer, label: input.accountLabel, secret: Secret.fromBase32(input.secret), algorithm: totpAlgorithm, digits: totpDigits, period: totpPeriodSeconds }).toString();
}

/** What a person may type: six digits, spaces allowed between them ("123 456"). */
export const normaliseTotpCode = (code: string): string | null => {
  const digits = code.replace(/\s+/g, '');
  return /^[0-9]{6}$/.test(digits) ? digits : null;
};

/**
 * The step `code` is valid for at `now`: the current step or the one before it (RFC 6238 §5.2:
 * at most one step back for network and typing delay), never a future one. The caller refuses
 * a step at or before the last one used, so no code works twice and no older code works after
 * a newer one.
 */
export function matchTotpStep(secret: string, code: string, now: Date): number | null {
  const token = normaliseTotpCode(code);
  if (!token) return null;
  const delta = TOTP.validate({ token, secret: Secret.fromBase32(secret), algorithm: totpAlgorithm, digits: totpDigits, period: totpPeriodSeconds, timestamp: now.getTime(), window: 1 });
  if (delta === null || delta > 0 || delta < -1) return null;
  return totpStepAt(now) + delta;
}

/** The code for a moment (tests, and the interoperability check against `oathtool`). */
export const totpCodeAt = (secret: string, at: Date): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: totpAlgorithm, digits: totpDigits, period: totpPeriodSeconds, timestamp: at.getTime() });
