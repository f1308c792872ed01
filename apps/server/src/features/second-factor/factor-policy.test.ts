import { describe, expect, it } from 'vitest';
import { allowedFactorsOf, methodAllowed } from './factor-policy.ts';

describe('the factors a person may use', () => {
  it('are what every one of their practices allows (the strictest rule)', () => {
    expect(allowedFactorsOf([{ allowedFactors: ['passkey', 'totp', 'sms', 'email_code'] }, { allowedFactors: ['passkey', 'totp', 'sms'] }])).toEqual(['passkey', 'totp', 'sms']);
    expect(allowedFactorsOf([{ allowedFactors: ['totp', 'email_code'] }])).toEqual(['totp', 'email_code']);
  });

  it('add back the strong kinds when two practices keep different ones, never a weaker one', () => {
    expect(allowedFactorsOf([{ allowedFactors: ['passkey', 'sms'] }, { allowedFactors: ['totp', 'sms', 'email_code'] }])).toEqual(['passkey', 'totp', 'sms']);
    expect(allowedFactorsOf([{ allowedFactors: ['passkey'] }, { allowedFactors: ['totp'] }])).toEqual(['passkey', 'totp']);
  });

  it('are the staff default without any practice', () => {
    expect(allowedFactorsOf([])).toEqual(['passkey', 'totp', 'sms']);
  });

  it('always include recovery codes alongside the allowed kinds', () => {
    expect(methodAllowed('recovery_code', ['totp'])).toBe(true);
    expect(methodAllowed('sms', ['totp'])).toBe(false);
    expect(methodAllowed('totp', ['totp'])).toBe(true);
  });
});
