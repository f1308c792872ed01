import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { matchTotpStep, newTotpSecret, normaliseTotpCode, totpCodeAt, totpStepAt, totpUri } from './totp.ts';

/** RFC 6238 Appendix B: 8 digits, 30 s, T0 = 0; the seeds per algorithm as in its Appendix A. */
const rfcSeeds = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
};
const rfcVectors: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('TOTP: the library against RFC 6238 Appendix B', () => {
  it.each(rfcVectors)('t = %i s', (seconds, sha1, sha256, sha512) => {
    for (const [algorithm, expected] of [['SHA1', sha1], ['SHA256', sha256], ['SHA512', sha512]] as const) {
      const secret = Secret.fromLatin1(rfcSeeds[algorithm]);
      expect(TOTP.generate({ secret, algorithm, digits: 8, period: 30, timestamp: seconds * 1000 }), algorithm).toBe(expected);
      // The library's validate() says 0 — falsy — for a match: the trap our wrapper avoids.
      expect(TOTP.validate({ token: expected, secret, algorithm, digits: 8, period: 30, timestamp: seconds * 1000, window: 0 })).toBe(0);
    }
  });
});

describe('matchTotpStep: which codes are accepted', () => {
  const secret = newTotpSecret();
  const now = new Date('2026-11-23T10:00:15Z');
  const step = totpStepAt(now);
  const at = (steps: number) => new Date(now.getTime() + steps * 30_000);

  it('accepts the current step and the one before, as those steps', () => {
    expect(matchTotpStep(secret, totpCodeAt(secret, now), now)).toBe(step);
    expect(matchTotpStep(secret, totpCodeAt(secret, at(-1)), now)).toBe(step - 1);
  });

  it('refuses the next step, two steps back, and anything older', () => {
    expect(matchTotpStep(secret, totpCodeAt(secret, at(1)), now)).toBeNull();
    expect(matchTotpStep(secret, totpCodeAt(secret, at(-2)), now)).toBeNull();
    expect(matchTotpStep(secret, totpCodeAt(secret, at(-100)), now)).toBeNull();
  });

  it("refuses another secret's code, malformed input and near misses", () => {
    const code = totpCodeAt(secret, now);
    expect(matchTotpStep(newTotpSecret(), code, now)).toBeNull();
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    for (const input of [wrong, code.slice(0, 5), `${code}0`, `0${code}`, '', '      ', 'abcdef', `${code.slice(0, 5)}x`, '１２３４５６', '-12345', '1e5000']) {
      expect(matchTotpStep(secret, input, now), JSON.stringify(input)).toBeNull();
    }
  });

  it('takes what people type: spaces inside and around', () => {
    const code = totpCodeAt(secret, now);
    expect(matchTotpStep(secret, ` ${code.slice(0, 3)} ${code.slice(3)} `, now)).toBe(step);
    expect(normaliseTotpCode('12 34 56')).toBe('123456');
  });

  it('makes 160-bit secrets and a URI authenticator apps read', () => {
    expect(Buffer.from(Secret.fromBase32(secret).bytes)).toHaveLength(20);
    expect(newTotpSecret()).not.toBe(newTotpSecret());
    const uri = totpUri({ secret, issuer: 'Haven (Praxis Müller)', accountLabel: 'anna@praxis.example' });
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(uri).toContain(`secret=${secret}`);
    expect(uri).toContain('period=30');
    expect(uri).toContain('digits=6');
  });
});

describe.runIf(existsSync('/usr/bin/oathtool'))('interoperability with oathtool', () => {
  it('computes the same codes as oathtool for the same secret and time', () => {
    const secret = newTotpSecret();
    for (const moment of ['2026-11-23 10:00:00 UTC', '2030-01-01 23:59:59 UTC', '2026-02-28 12:34:56 UTC']) {
      const theirs = execFileSync('oathtool', ['--totp', '--base32', `--now=${moment}`, secret]).toString().trim();
      expect(totpCodeAt(secret, new Date(moment.replace(' UTC', 'Z').replace(' ', 'T'))), moment).toBe(theirs);
    }
  });
});
