import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectFileType, sampleBytes, UploadInspector } from './file-types.ts';
import { AppError } from '../errors.ts';

async function inspect(chunks: Buffer[], options = { maxBytes: 10 * sampleBytes, nameHint: 'x' }) {
  const inspector = new UploadInspector(options);
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), inspector, new Writable({ write: (chunk, _e, done) => { out.push(chunk); done(); } }));
  return { result: await inspector.result, output: Buffer.concat(out) };
}

describe('detectFileType', () => {
  it('judges text on whole characters when the sample ends inside one', async () => {
    // "ä" is two bytes; cut after the first of them, the prefix is still text.
    const text = Buffer.from('Kurzbericht: Ärztin ä');
    expect(await detectFileType(text.subarray(0, text.length - 1), false, 'a.txt')).toMatchObject({ mime: 'text/plain' });
    // The same cut in a complete file is broken UTF-8: not text.
    expect(await detectFileType(text.subarray(0, text.length - 1), true, 'a.txt')).toBeNull();
  });

  it('tells CSV from plain text by the name only, and never trusts the name for binary', async () => {
    expect(await detectFileType(Buffer.from('a;b\n1;2\n'), true, 'Tarife.CSV ')).toMatchObject({ mime: 'text/csv' });
    expect(await detectFileType(Buffer.from('a;b\n1;2\n'), true, 'tarife.txt')).toMatchObject({ mime: 'text/plain' });
    expect(await detectFileType(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), true, 'notes.csv')).toBeNull();
  });

  it('refuses markup, with or without a byte-order mark or leading space', async () => {
    for (const page of ['<html><body>x</body></html>', '\ufeff  <svg/>', '\n<?xml version="1.0"?><x/>', '<SCRIPT>alert(1)</SCRIPT>']) {
      expect(await detectFileType(Buffer.from(page), true, 'a.txt'), page).toBeNull();
    }
    expect(await detectFileType(Buffer.from('a < b and <c> is fine in prose'), true, 'a.txt')).toMatchObject({ mime: 'text/plain' });
  });
});

describe('UploadInspector', () => {
  it('passes every byte through unchanged, across the sample boundary, and counts them', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(sampleBytes + 12_345, 0x41)]);
    const chunks = [pdf.subarray(0, 100), pdf.subarray(100, sampleBytes + 3), pdf.subarray(sampleBytes + 3)];
    const { result, output } = await inspect(chunks);
    expect(result).toMatchObject({ type: { mime: 'application/pdf' }, bytes: pdf.length });
    expect(output.equals(pdf)).toBe(true);
  });

  it('fails at the first byte over the limit with FILE_TOO_LARGE', async () => {
    const error = await inspect([Buffer.from('%PDF-1.7\n'), Buffer.alloc(100)], { maxBytes: 100, nameHint: 'a.pdf' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('FILE_TOO_LARGE');
  });

  it('answers an empty file with FILE_EMPTY and an unknown binary with FILE_TYPE_NOT_ALLOWED', async () => {
    expect(((await inspect([]).catch((e: unknown) => e)) as AppError).code).toBe('FILE_EMPTY');
    expect(((await inspect([Buffer.from([0, 1, 2, 3])]).catch((e: unknown) => e)) as AppError).code).toBe('FILE_TYPE_NOT_ALLOWED');
  });
});
