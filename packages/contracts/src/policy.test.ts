import { describe, expect, it } from 'vitest';
import { SecurityPolicy, checkPassword, defaultPasswordPolicy } from './policy.ts';

const never = () => false;

describe('password policy', () => {
  it('asks only for length by default (no composition rules, NIST 800-63B)', () => {
    expect(checkPassword('all lower case words', defaultPasswordPolicy, { contextWords: [], isCommon: never })).toEqual([]);
    expect(checkPassword('short', defaultPasswordPolicy, { contextWords: [], isCommon: never })).toEqual(['too_short']);
  });

  it('counts characters, not bytes, and accepts up to 128', () => {
    expect(checkPassword('ääääääääääää', defaultPasswordPolicy, { contextWords: [], isCommon: never })).toEqual([]);
    expect(checkPassword('x'.repeat(128), defaultPasswordPolicy, { contextWords: [], isCommon: never })).toEqual([]);
    expect(checkPassword('x'.repeat(129), defaultPasswordPolicy, { contextWords: [], isCommon: never })).toContain('too_long');
  });

  it('refuses context words: the person, the practice and "haven"', () => {
    const context = { contextWords: ['Anna Jansen', 'anna.jansen@praktijk.nl', 'Praktijk Zonnebloem'], isCommon: never };
    expect(checkPassword('Zonnebloem2026', defaultPasswordPolicy, context)).toContain('context');
    expect(checkPassword('jansen-jansen!', defaultPasswordPolicy, context)).toContain('context');
    expect(checkPassword('Haven Haven 12', defaultPasswordPolicy, context)).toContain('context');
    expect(checkPassword('kites over the dunes', defaultPasswordPolicy, context)).toEqual([]);
  });

  it('refuses what the blocklist knows, case-insensitively', () => {
    const isCommon = (value: string) => value === 'correcthorse1234';
    expect(checkPassword('CorrectHorse1234', defaultPasswordPolicy, { contextWords: [], isCommon })).toEqual(['common']);
  });

  it('asks for character classes only in the optional classes mode', () => {
    const classes = { mode: 'classes' as const, minLength: 10 };
    expect(checkPassword('lowercaseonly', classes, { contextWords: [], isCommon: never })).toEqual(['needs_upper', 'needs_digit', 'needs_special']);
    expect(checkPassword('Mixed-Case-42', classes, { contextWords: [], isCommon: never })).toEqual([]);
  });

  it('keeps practices within the allowed ranges', () => {
    expect(SecurityPolicy.safeParse({ password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes: 15 }).success).toBe(true);
    expect(SecurityPolicy.safeParse({ password: { mode: 'nist', minLength: 8 }, idleTimeoutMinutes: 15 }).success).toBe(false);
    expect(SecurityPolicy.safeParse({ password: { mode: 'classes', minLength: 8 }, idleTimeoutMinutes: 15 }).success).toBe(true);
    expect(SecurityPolicy.safeParse({ password: { mode: 'classes', minLength: 17 }, idleTimeoutMinutes: 15 }).success).toBe(false);
    expect(SecurityPolicy.safeParse({ password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes: 1 }).success).toBe(false);
    expect(SecurityPolicy.safeParse({ password: { mode: 'nist', minLength: 12 }, idleTimeoutMinutes: 61 }).success).toBe(false);
  });
});
