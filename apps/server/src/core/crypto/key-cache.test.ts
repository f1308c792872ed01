import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../clock.ts';
import { KeyCache } from './key-ring.ts';

const key = (byte: number) => Buffer.alloc(32, byte);

describe('the key cache', () => {
  it('holds at most its cap, dropping the least recently used entry', () => {
    const cache = new KeyCache(new ManualClock(), 60_000, 3);
    cache.set('a', [key(1)]);
    cache.set('b', [key(2)]);
    cache.set('c', [key(3)]);
    // Reading "a" makes "b" the least recently used.
    expect(cache.get('a')).toEqual([key(1)]);
    cache.set('d', [key(4)]);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual([key(1)]);
    expect(cache.get('c')).toEqual([key(3)]);
    expect(cache.get('d')).toEqual([key(4)]);
    // Replacing an entry does not count twice.
    cache.set('d', [key(5)]);
    expect(cache.size).toBe(3);
    expect(cache.get('d')).toEqual([key(5)]);
  });

  it('overwrites an evicted key with zeros, but never a copy a caller holds', () => {
    const cache = new KeyCache(new ManualClock(), 60_000, 1);
    const given = key(7);
    cache.set('a', [given]);
    const held = cache.get('a')![0]!;
    // The stored buffer is private: watch which buffers holding this key get zeroed on eviction.
    const zeroed: Buffer[] = [];
    const fill = Buffer.prototype.fill;
    const spy = vi.spyOn(Buffer.prototype, 'fill').mockImplementation(function (this: Buffer, ...args: unknown[]) {
      if (this.equals(key(7))) zeroed.push(this);
      return (fill as (...rest: unknown[]) => Buffer).apply(this, args);
    });
    try {
      cache.set('b', [key(8)]);
    } finally {
      spy.mockRestore();
    }
    expect(cache.get('a')).toBeUndefined();
    expect(zeroed).toHaveLength(1);
    expect(zeroed[0]!.equals(Buffer.alloc(32))).toBe(true);
    expect(held).toEqual(key(7));
    expect(given).toEqual(key(7));
  });

  it('still forgets entries after their lifetime', () => {
    const clock = new ManualClock();
    const cache = new KeyCache(clock, 1000, 10);
    cache.set('a', [key(1)]);
    clock.advance(1001);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('refuses a cap below one', () => {
    expect(() => new KeyCache(new ManualClock(), 1000, 0)).toThrow();
  });
});
