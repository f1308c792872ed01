import { describe, expect, it } from 'vitest';
import { maskPhoneNumber, normalisePhoneNumber } from './phone-numbers.ts';

describe('normalisePhoneNumber', () => {
  it.each([
    // Dutch, German and Austrian mobiles as people type them at home…
    ['06 12345678', 'NL', '+31612345678', 'NL'],
    ['06-1234 5678', 'nl', '+31612345678', 'NL'],
    ['0151 23456789', 'DE', '+4915123456789', 'DE'],
    ['0170 1234567', 'DE', '+491701234567', 'DE'],
    ['0664 1234567', 'AT', '+436641234567', 'AT'],
    // …and in international form, where the default country does not matter.
    ['+31 6 12345678', undefined, '+31612345678', 'NL'],
    ['+31 (0)6 1234 5678', undefined, '+31612345678', 'NL'],
    ['0031 6 12345678', undefined, '+31612345678', 'NL'],
    ['0031612345678', 'DE', '+31612345678', 'NL'],
    ['+49 (0)151 23456789', 'NL', '+4915123456789', 'DE'],
    ['+43 676 1234567', 'DE', '+436761234567', 'AT'],
    ['  +31612345678 ', undefined, '+31612345678', 'NL'],
  ])('reads %j (default %s) as %s in %s', (input, country, e164, numberCountry) => {
    const result = normalisePhoneNumber(input, country);
    expect(result).toMatchObject({ e164, country: numberCountry, mobile: true });
  });

  it('tells landlines from mobiles', () => {
    expect(normalisePhoneNumber('030 1234567', 'DE')).toMatchObject({ e164: '+49301234567', mobile: false });
    expect(normalisePhoneNumber('+31 20 123 4567')).toMatchObject({ e164: '+31201234567', mobile: false });
    // North American numbers cannot be told apart: possibly a mobile.
    expect(normalisePhoneNumber('+1 415 555 2671')).toMatchObject({ country: 'US', mobile: true });
  });

  it.each([
    ['hello', undefined],
    ['', undefined],
    ['06 12345678', undefined], // national form without a country to read it in
    ['06 12345678', 'XX'], // not a country
    ['+31 6 1234', undefined], // too short
    ['+31 6 1234 5678 9', undefined], // too long
    ['112', 'NL'], // an emergency number
    ['+800 1234 5678', undefined], // no country: cannot receive SMS
    ['+31612345678;ext=12', undefined], // an extension
    ['+31 6 12345678\n+49', undefined],
    ['+31 6 12345678'.repeat(5), undefined],
    ['<script>alert(1)</script>', 'NL'],
  ])('refuses %j (default %s)', (input, country) => {
    expect(normalisePhoneNumber(input, country)).toBeNull();
  });
});

describe('maskPhoneNumber', () => {
  it('keeps the country code, the first group and the last two digits', () => {
    expect(maskPhoneNumber('+31612345678')).toBe('+31 6 •••• ••78');
    expect(maskPhoneNumber('+4915123456789')).toBe('+49 1512 •••• •89');
    expect(maskPhoneNumber('+436641234567')).toBe('+43 664 •••• •67');
    expect(normalisePhoneNumber('06 12345678', 'NL')?.masked).toBe('+31 6 •••• ••78');
  });

  it('always hides at least four digits and never echoes what it cannot read', () => {
    for (const e164 of ['+31612345678', '+4915123456789', '+436641234567', '+14155552671', '+32470123456', '+3545551234']) {
      const masked = maskPhoneNumber(e164);
      expect((masked.match(/•/g) ?? []).length, masked).toBeGreaterThanOrEqual(4);
      expect(masked.replace(/\D/g, '')).not.toBe(e164.replace(/\D/g, ''));
    }
    expect(maskPhoneNumber('not a number 0612345678')).toBe('+•••');
  });
});
