import { maxFileNameLength } from '@haven/contracts';
import { describe, expect, it } from 'vitest';
import { safeFileName } from './file-names.ts';
import { fileTypeOf } from './file-types.ts';

const pdf = fileTypeOf('application/pdf');
const jpeg = fileTypeOf('image/jpeg');

describe('safeFileName', () => {
  it.each([
    ['Intake form.pdf', 'Intake form.pdf'],
    ['Intake form.PDF', 'Intake form.PDF'],
    ['/var/tmp/../x.pdf', 'x.pdf'],
    ['..\\..\\boot.ini', 'boot.ini.pdf'],
    ['evil\u202egnp.pdf', 'evilgnp.pdf'],
    ['zero\u200bwidth\ufeff.pdf', 'zerowidth.pdf'],
    ['tab\tand\nnewline.pdf', 'tabandnewline.pdf'],
    ['nul\u0000byte.pdf', 'nulbyte.pdf'],
    ['lpt1.pdf', '_lpt1.pdf'],
    ['aux.tar.pdf', '_aux.tar.pdf'],
    ['trailing dots....pdf', 'trailing dots.pdf'],
    ['...', 'file.pdf'],
    ['multiple   spaces .pdf', 'multiple spaces.pdf'],
    ['e\u0301cole.pdf', 'école.pdf'],
  ])('%j → %j', (raw, expected) => {
    expect(safeFileName(raw, pdf)).toBe(expected);
  });

  it('keeps any extension of the type and adds the first one otherwise', () => {
    expect(safeFileName('photo.jpeg', jpeg)).toBe('photo.jpeg');
    expect(safeFileName('photo.jpg', jpeg)).toBe('photo.jpg');
    expect(safeFileName('photo.png', jpeg)).toBe('photo.png.jpg');
  });

  it('shortens long names by whole characters, keeping the extension', () => {
    const name = safeFileName(`${'😀'.repeat(200)}.pdf`, pdf);
    expect([...name]).toHaveLength(maxFileNameLength);
    expect(name.endsWith('😀.pdf')).toBe(true);
    expect(name).not.toMatch(/[\uD800-\uDFFF]/u); // no lone surrogate: the u flag matches them only unpaired
  });
});
