import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorCatalogue } from '@haven/contracts';
import { describe, expect, it } from 'vitest';

/** docs/errors.md must list exactly the catalogue's codes, each with its HTTP status. */
const docPath = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));

interface DocumentedError {
  code: string;
  status: number;
  when: string;
}

/** The rows of the table whose first column is a code in backticks: | `CODE` | 400 | when |. */
function documentedErrors(markdown: string): DocumentedError[] {
  const rows: DocumentedError[] = [];
  for (const line of markdown.split('\n')) {
    const match = /^\|\s*`([A-Z0-9_]+)`\s*\|\s*([^|]*?)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (match) rows.push({ code: match[1]!, status: Number(match[2]), when: match[3]! });
  }
  return rows;
}

describe('docs/errors.md', () => {
  const rows = documentedErrors(readFileSync(docPath, 'utf8'));

  it('has a table of error codes', () => {
    expect(rows.length).toBeGreaterThan(0);
  });

  it('lists every code of the catalogue', () => {
    const documented = new Set(rows.map((row) => row.code));
    expect(Object.keys(errorCatalogue).filter((code) => !documented.has(code))).toEqual([]);
  });

  it('lists no code that is not in the catalogue', () => {
    expect(rows.map((row) => row.code).filter((code) => !(code in errorCatalogue))).toEqual([]);
  });

  it('lists each code once', () => {
    const codes = rows.map((row) => row.code);
    expect(codes.filter((code, index) => codes.indexOf(code) !== index)).toEqual([]);
  });

  it("gives each code the catalogue's HTTP status", () => {
    const wrong = rows
      .filter((row) => row.code in errorCatalogue && errorCatalogue[row.code as keyof typeof errorCatalogue].status !== row.status)
      .map((row) => `${row.code}: documented ${row.status}, catalogue ${errorCatalogue[row.code as keyof typeof errorCatalogue].status}`);
    expect(wrong).toEqual([]);
  });

  it('says when each error happens', () => {
    expect(rows.filter((row) => row.when.length < 20).map((row) => row.code)).toEqual([]);
  });
});
