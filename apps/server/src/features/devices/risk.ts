import type { RiskSignal } from '@haven/contracts';
import { UAParser } from 'ua-parser-js';

/*
 * The risk rules of a sign-in, as plain functions (docs/authentication.md, "Suspicious sign-ins").
 * Signals are looked at only after the password (or passkey) was right, so they tell a guesser
 * nothing.
 */

/** From this many failed attempts since the last complete sign-in, a success is suspicious. */
export const manyFailuresThreshold = 5;
/**
 * Two sign-ins from different countries closer together than this are "impossible travel". Kept
 * deliberately simple — no distances: a border crossing by train can take less, and a VPN moves
 * anyone anywhere, so this is a signal for confirmation by e-mail, never a refusal.
 */
export const impossibleTravelMs = 60 * 60_000;

export type RiskLevel = 'low' | 'medium' | 'high';

export interface RiskFacts {
  /** The account has completed no sign-in yet: there is nothing to compare with. */
  firstSignIn: boolean;
  /** This browser has completed a sign-in to this account before. */
  knownDevice: boolean;
  /** The country of this request (null: private, reserved or unknown address). */
  country: string | null;
  /** The countries of the account's earlier complete sign-ins. */
  countriesSeen: readonly string[];
  /** The account's last complete sign-in: when, and from which country (if known). */
  lastSignIn: { at: Date; country: string | null } | null;
  /** Failed attempts (passwords, codes, passkeys) since the last sign-in that was let in. */
  failuresSinceSignIn: number;
  now: Date;
}

export function riskSignals(facts: RiskFacts): RiskSignal[] {
  const signals: RiskSignal[] = [];
  // The first sign-in sets the baseline: a new device and a new country are not news then.
  if (!facts.firstSignIn && !facts.knownDevice) signals.push('new_device');
  if (!facts.firstSignIn && facts.country !== null && !facts.countriesSeen.includes(facts.country)) signals.push('new_country');
  if (facts.failuresSinceSignIn >= manyFailuresThreshold) signals.push('many_failures');
  const last = facts.lastSignIn;
  if (facts.country !== null && last?.country && last.country !== facts.country && facts.now.getTime() - last.at.getTime() < impossibleTravelMs) {
    signals.push('impossible_travel');
  }
  return signals;
}

/**
 * High: a new country, impossible travel or many failures — the sign-in is held until confirmed
 * by e-mail, and a trusted browser is not trusted for it. Medium: a new device alone — allowed,
 * and the holder is told by e-mail. Low: nothing unusual.
 */
export function riskLevel(signals: readonly RiskSignal[]): RiskLevel {
  if (signals.some((signal) => signal === 'new_country' || signal === 'impossible_travel' || signal === 'many_failures')) return 'high';
  return signals.includes('new_device') ? 'medium' : 'low';
}

/** "Chrome on Linux": browser and system without versions, so the label stays put across updates. */
export function deviceLabel(userAgent: string | null): string {
  if (!userAgent) return 'Unknown browser';
  const parsed = UAParser(userAgent);
  const browser = parsed.browser.name ?? '';
  const os = parsed.os.name ?? '';
  if (!browser && !os) return 'Unknown browser';
  return `${browser || 'Browser'}${os ? ` on ${os}` : ''}`.slice(0, 80);
}

/** The audit line of a decision: signals and country, never anything personal. */
export function describeRisk(input: { level: RiskLevel; signals: readonly RiskSignal[]; country: string | null; decision: string }): string {
  return `risk ${input.level}; signals ${input.signals.length > 0 ? input.signals.join(',') : 'none'}; country ${input.country ?? 'unknown'}; ${input.decision}`;
}
