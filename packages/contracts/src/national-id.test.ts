import { describe, expect, it } from 'vitest';
import { nationalIdKindOf, validNationalId } from './national-id.ts';

describe('national identifiers', () => {
  it('BSN: the 11-proof, typed with spaces or dots, 8 digits taking a leading zero', () => {
    expect(validNationalId('bsn', '111222333')).toBe('111222333');
    expect(validNationalId('bsn', '1112.22.333')).toBe('111222333');
    expect(validNationalId('bsn', '123456782')).toBe('123456782');
    expect(validNationalId('bsn', '12345672')).toBe('012345672');
    // One digit off, two digits swapped, too short, letters, all zeros.
    expect(validNationalId('bsn', '111222334')).toBeNull();
    expect(validNationalId('bsn', '123456728')).toBeNull();
    expect(validNationalId('bsn', '1234567')).toBeNull();
    expect(validNationalId('bsn', '12345678a')).toBeNull();
    expect(validNationalId('bsn', '000000000')).toBeNull();
  });

  it('KVNR: a letter and nine digits, the check digit by weights 1-2-1-2', () => {
    expect(validNationalId('kvnr', 'A123456780')).toBe('A123456780');
    expect(validNationalId('kvnr', 'a 12345678 0')).toBe('A123456780');
    expect(validNationalId('kvnr', 'A123456781')).toBeNull();
    expect(validNationalId('kvnr', 'B123456780')).toBeNull();
    expect(validNationalId('kvnr', '1123456780')).toBeNull();
    expect(validNationalId('kvnr', 'A12345678')).toBeNull();
  });

  it('SVNR: ten digits, the check digit in the fourth place', () => {
    expect(validNationalId('svnr', '1237 010180')).toBe('1237010180');
    expect(validNationalId('svnr', '1236 010180')).toBeNull();
    expect(validNationalId('svnr', '0237 010180')).toBeNull();
    expect(validNationalId('svnr', '1237 01018')).toBeNull();
  });

  it('names the kind for each country', () => {
    expect(nationalIdKindOf).toEqual({ NL: 'bsn', DE: 'kvnr', AT: 'svnr' });
  });
});
