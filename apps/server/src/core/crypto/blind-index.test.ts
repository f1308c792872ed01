import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blindIndex, normaliseForIndex, prefixQueryToken, prefixQueryTokens, prefixTokens } from './blind-index.ts';

describe('blind indexes', () => {
  const key = randomBytes(32);
  it('match regardless of case, accents and spacing', () => {
    expect(normaliseForIndex('  Jänsen-Müller  ')).toBe('jansen-muller');
    expect(blindIndex(key, 'email', 'Anna.Jansen@Praktijk.NL ')).toEqual(blindIndex(key, 'email', 'anna.jansen@praktijk.nl'));
    expect(blindIndex(key, 'name', 'Zoë  de Vries')).toEqual(blindIndex(key, 'name', 'zoe de vries'));
  });
  it('differ by purpose and by key, and are 16 bytes', () => {
    const value = 'anna@example.org';
    expect(blindIndex(key, 'email', value)).toHaveLength(16);
    expect(blindIndex(key, 'email', value)).not.toEqual(blindIndex(key, 'phone', value));
    expect(blindIndex(key, 'email', value)).not.toEqual(blindIndex(randomBytes(32), 'email', value));
  });
  it('let a name prefix find the name ("Jans" finds "Jansen", "berg" finds "van der Berg")', () => {
    const stored = prefixTokens(key, 'patient-name', 'Anna van der Berg-Jansen').map((t) => t.toString('hex'));
    expect(stored).toContain(prefixQueryToken(key, 'patient-name', 'Jans').toString('hex'));
    expect(stored).toContain(prefixQueryToken(key, 'patient-name', 'BERG').toString('hex'));
    expect(stored).toContain(prefixQueryToken(key, 'patient-name', 'ánn').toString('hex'));
    expect(stored).not.toContain(prefixQueryToken(key, 'patient-name', 'Jansx').toString('hex'));
    expect(stored).not.toContain(blindIndex(key, 'patient-name', 'jansen').toString('hex')); // prefixes and exact values never collide
  });
});

describe('multi-word name searches', () => {
  const key = Buffer.alloc(32, 7);
  const stored = (name: string) => new Set(prefixTokens(key, 'patients.name', name).map((token) => token.toString('hex')));
  const matches = (name: string, typed: string) => {
    const held = stored(name);
    const wanted = prefixQueryTokens(key, 'patients.name', typed);
    return wanted.length > 0 && wanted.every((token) => held.has(token.toString('hex')));
  };

  it('needs every typed word to be a prefix of some word of the name, in any order and case', () => {
    expect(matches('Anna van der Berg', 'berg ann')).toBe(true);
    expect(matches('Anna van der Berg', 'BERG')).toBe(true);
    expect(matches('Anna van der Berg', 'berg jan')).toBe(false);
  });

  it('ignores accents and separators', () => {
    expect(matches('Jörg Müller-Lüdenscheidt', 'muller lud')).toBe(true);
    expect(matches("Siobhán O'Neill", 'siobhan neill')).toBe(true);
  });

  it('matches words shorter than three letters only whole', () => {
    expect(matches('Mei Li', 'li')).toBe(true);
    expect(matches('Anna Lindgren', 'li')).toBe(false);
    expect(matches('Anna Lindgren', 'lin')).toBe(true);
  });

  it('gives no token for an empty search', () => {
    expect(prefixQueryTokens(key, 'patients.name', '  - ')).toEqual([]);
  });
});
