import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalMasterKeyProvider, MasterKeyError } from './key-provider.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'haven-master-'));

describe('the built-in master key provider', () => {
  it('creates a 0600 key file outside production and says it did', () => {
    const file = path.join(tmp(), 'keys', 'master.key');
    const first = LocalMasterKeyProvider.load({ envValue: undefined, file, createIfMissing: true });
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = LocalMasterKeyProvider.load({ envValue: undefined, file, createIfMissing: true });
    expect(again.created).toBe(false);
    expect(readFileSync(file, 'utf8')).toMatch(/^1:[A-Za-z0-9+/]{43}=$/m);
  });

  it('never makes up a key in production, and refuses a file others can read', () => {
    const dir = tmp();
    expect(() => LocalMasterKeyProvider.load({ envValue: undefined, file: path.join(dir, 'master.key'), createIfMissing: false })).toThrow(MasterKeyError);
    const loose = path.join(dir, 'loose.key');
    writeFileSync(loose, `1:${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    expect(() => LocalMasterKeyProvider.load({ envValue: undefined, file: loose, createIfMissing: false })).toThrow(/readable by others/);
  });

  it('reads HAVEN_MASTER_KEY, bare or versioned, and refuses keys that are not 32 bytes', () => {
    const key = randomBytes(32).toString('base64');
    expect(LocalMasterKeyProvider.load({ envValue: key, file: '/nonexistent', createIfMissing: false }).provider.currentVersion).toBe(1);
    const two = LocalMasterKeyProvider.parse(`1:${key},2:${randomBytes(32).toString('base64')}`, 'HAVEN_MASTER_KEY');
    expect(two.currentVersion).toBe(2);
    expect(() => LocalMasterKeyProvider.parse(randomBytes(16).toString('base64'), 'HAVEN_MASTER_KEY')).toThrow(/not 32 bytes/);
    expect(() => LocalMasterKeyProvider.parse('not a key!', 'HAVEN_MASTER_KEY')).toThrow(MasterKeyError);
  });

  it('wraps keys bound to their identity, and unwraps old versions after a new one is added', async () => {
    const v1 = randomBytes(32);
    const old = LocalMasterKeyProvider.fromKeys(new Map([[1, v1]]));
    const raw = randomBytes(32);
    const wrapped = await old.wrapKey(raw, 'org:a:v1');
    expect(wrapped.includes(raw)).toBe(false);
    expect(await old.unwrapKey(wrapped, 'org:a:v1')).toEqual(raw);
    await expect(old.unwrapKey(wrapped, 'org:b:v1')).rejects.toThrow(); // another key's identity
    const rotated = LocalMasterKeyProvider.fromKeys(new Map([[1, v1], [2, randomBytes(32)]]));
    expect(await rotated.unwrapKey(wrapped, 'org:a:v1')).toEqual(raw);
    expect(rotated.versionOf(await rotated.wrapKey(raw, 'org:a:v1'))).toBe(2);
    const lost = LocalMasterKeyProvider.fromKeys(new Map([[2, randomBytes(32)]]));
    await expect(lost.unwrapKey(wrapped, 'org:a:v1')).rejects.toThrow(/version 1 is not available/);
  });
});
