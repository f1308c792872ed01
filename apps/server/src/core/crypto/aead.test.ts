import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { aesGcmDecrypt, aesGcmEncrypt, DecryptionError, open, seal, sealedKeyRef } from './aead.ts';

const hex = (value: string) => Buffer.from(value, 'hex');

/** McGrew & Viega, GCM spec appendix B (AES-256 cases), via docs' reference file. */
describe('AES-256-GCM test vectors', () => {
  it('test case 14: zero key, zero nonce, one zero block', () => {
    const { ciphertext, tag } = aesGcmEncrypt(hex('00'.repeat(32)), hex('00'.repeat(12)), hex('00'.repeat(16)), Buffer.alloc(0));
    expect(ciphertext.toString('hex')).toBe('cea7403d4d606b6e074ec5d3baf39d18');
    expect(tag.toString('hex')).toBe('d0d1c8a799996bf0265b98b5d48ab919');
    expect(aesGcmDecrypt(hex('00'.repeat(32)), hex('00'.repeat(12)), ciphertext, tag, Buffer.alloc(0))).toEqual(hex('00'.repeat(16)));
  });

  it('test case 16: with additional authenticated data', () => {
    const key = hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
    const nonce = hex('cafebabefacedbaddecaf888');
    const aad = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
    const plaintext = hex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39');
    const { ciphertext, tag } = aesGcmEncrypt(key, nonce, plaintext, aad);
    expect(ciphertext.toString('hex')).toBe('522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662');
    expect(tag.toString('hex')).toBe('76fc6ece0f4e1768cddf8853bb2d551b');
    expect(aesGcmDecrypt(key, nonce, ciphertext, tag, aad)).toEqual(plaintext);
    // The wrong answers as hard as the right one: a changed AAD byte or tag bit is refused.
    const otherAad = Buffer.from(aad);
    otherAad[0] = otherAad[0]! ^ 1;
    expect(() => aesGcmDecrypt(key, nonce, ciphertext, tag, otherAad)).toThrow(DecryptionError);
    const otherTag = Buffer.from(tag);
    otherTag[15] = otherTag[15]! ^ 0x80;
    expect(() => aesGcmDecrypt(key, nonce, ciphertext, otherTag, aad)).toThrow(DecryptionError);
  });
});

describe('sealed values', () => {
  const key = randomBytes(32);
  const ref = { keyId: 'org:2f0c0a4e-3d0e-4f5e-9a43-0c6a4d3b8e11', version: 3 };
  const context = 'accounts:email:platform:7d1f';

  it('round-trip and record which key sealed them', () => {
    const sealed = seal(key, ref, 'anna@praktijk.example', context);
    expect(sealedKeyRef(sealed)).toEqual(ref);
    expect(open(key, ref, sealed, context).toString('utf8')).toBe('anna@praktijk.example');
    expect(sealed.includes(Buffer.from('anna'))).toBe(false);
  });

  it('refuse another place: row, column or tenant', () => {
    const sealed = seal(key, ref, 'Jansen', 'patients:name:org-a:row-1');
    for (const elsewhere of ['patients:name:org-a:row-2', 'patients:notes:org-a:row-1', 'patients:name:org-b:row-1']) {
      expect(() => open(key, ref, sealed, elsewhere)).toThrow(DecryptionError);
    }
  });

  it('refuse a tampered byte anywhere, a relabelled key, and another key', () => {
    const sealed = seal(key, ref, 'a diagnosis', context);
    for (let i = 0; i < sealed.length; i++) {
      const copy = Buffer.from(sealed);
      copy[i] = copy[i]! ^ 0x01;
      expect(() => open(key, ref, copy, context), `byte ${i}`).toThrow(DecryptionError);
    }
    expect(() => open(key, { ...ref, version: 4 }, sealed, context)).toThrow(DecryptionError);
    expect(() => open(randomBytes(32), ref, sealed, context)).toThrow(DecryptionError);
  });

  it('say nothing about the plaintext or key when they fail', () => {
    const sealed = seal(key, ref, 'secret-marker-7731', context);
    try {
      open(randomBytes(32), ref, sealed, context);
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toMatch(/secret-marker|[0-9a-f]{32}/);
    }
  });

  it('never repeat a nonce in 1,000,000 encryptions under one key', () => {
    const seen = new Set<string>();
    const nonceStart = 2 + Buffer.byteLength(ref.keyId) + 4;
    const empty = Buffer.alloc(0);
    for (let i = 0; i < 1_000_000; i++) {
      const sealed = seal(key, ref, empty, 'c');
      seen.add(sealed.subarray(nonceStart, nonceStart + 12).toString('base64'));
    }
    expect(seen.size).toBe(1_000_000);
  }, 60_000);
});
