import { describe, expect, it } from 'vitest';
import { deviceLabel, impossibleTravelMs, manyFailuresThreshold, riskLevel, riskSignals, type RiskFacts } from './risk.ts';
import { trustedUntil, trustHoursOf } from './sign-in-decision.ts';

const now = new Date('2026-11-24T10:00:00Z');
const usual: RiskFacts = {
  firstSignIn: false,
  knownDevice: true,
  country: 'NL',
  countriesSeen: ['NL'],
  lastSignIn: { at: new Date(now.getTime() - 24 * 3600_000), country: 'NL' },
  failuresSinceSignIn: 0,
  now,
};

describe('risk signals and level', () => {
  it('finds nothing in a usual sign-in', () => {
    expect(riskSignals(usual)).toEqual([]);
    expect(riskLevel([])).toBe('low');
  });

  it('takes the first sign-in as the baseline: no new device, no new country', () => {
    expect(riskSignals({ ...usual, firstSignIn: true, knownDevice: false, countriesSeen: [], lastSignIn: null })).toEqual([]);
  });

  it('rates a new device alone medium, and a new country high', () => {
    expect(riskSignals({ ...usual, knownDevice: false })).toEqual(['new_device']);
    expect(riskLevel(['new_device'])).toBe('medium');
    const abroad = riskSignals({ ...usual, country: 'DE', lastSignIn: { at: new Date(now.getTime() - 2 * impossibleTravelMs), country: 'NL' } });
    expect(abroad).toEqual(['new_country']);
    expect(riskLevel(abroad)).toBe('high');
  });

  it('counts no country (private or unknown address) as nothing new', () => {
    expect(riskSignals({ ...usual, country: null })).toEqual([]);
    expect(riskSignals({ ...usual, countriesSeen: [], country: null, lastSignIn: { at: now, country: null } })).toEqual([]);
  });

  it(`calls ${manyFailuresThreshold} failures since the last sign-in many, and four not`, () => {
    expect(riskSignals({ ...usual, failuresSinceSignIn: manyFailuresThreshold - 1 })).toEqual([]);
    expect(riskSignals({ ...usual, failuresSinceSignIn: manyFailuresThreshold })).toEqual(['many_failures']);
    expect(riskLevel(['many_failures'])).toBe('high');
  });

  it('calls a different known country within the hour impossible travel, and not after it', () => {
    const both = { ...usual, countriesSeen: ['NL', 'DE'], country: 'DE' };
    expect(riskSignals({ ...both, lastSignIn: { at: new Date(now.getTime() - impossibleTravelMs + 1000), country: 'NL' } })).toEqual(['impossible_travel']);
    expect(riskSignals({ ...both, lastSignIn: { at: new Date(now.getTime() - impossibleTravelMs), country: 'NL' } })).toEqual([]);
    expect(riskLevel(['impossible_travel'])).toBe('high');
  });
});

describe('trust', () => {
  const device = { trustedAt: new Date(now.getTime() - 3600_000), trustedUntil: new Date(now.getTime() + 11 * 3600_000) };
  it('holds until the end it was given, cut short by a lower limit, and not at 0', () => {
    expect(trustedUntil(device, 12, now)).toEqual(device.trustedUntil);
    expect(trustedUntil(device, 2, now)).toEqual(new Date(now.getTime() + 3600_000));
    expect(trustedUntil(device, 1, now)).toBeNull();
    expect(trustedUntil(device, 0, now)).toBeNull();
    expect(trustedUntil({ trustedAt: null, trustedUntil: null }, 12, now)).toBeNull();
  });
  it('takes the strictest practice', () => {
    expect(trustHoursOf([{ trustedDeviceHours: 12 }, { trustedDeviceHours: 4 }])).toBe(4);
    expect(trustHoursOf([])).toBe(0);
  });
});

describe('device labels', () => {
  it('names browser and system without versions', () => {
    expect(deviceLabel('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36')).toBe('Chrome on Linux');
    expect(deviceLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1')).toBe('Mobile Safari on iOS');
    expect(deviceLabel(null)).toBe('Unknown browser');
    expect(deviceLabel('curl/8.0')).toBe('Unknown browser');
  });
});
