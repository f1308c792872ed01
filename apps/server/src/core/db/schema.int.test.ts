import { getTableColumns, getTableName, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { sharedDatabase } from '../../../test/support/harness.ts';
import { queryRows } from './database.ts';
import { schema } from './schema.ts';

/** The typed schema must match what the migrations created, column by column. */
describe('schema and migrations agree', () => {
  it('every Drizzle column exists in the database with that name', async () => {
    const db = await sharedDatabase();
    const columns = await db.identity((tx) =>
      queryRows<{ table_name: string; column_name: string }>(tx, sql`select table_name, column_name from information_schema.columns where table_schema = 'public'`),
    );
    const actual = new Set(columns.map((row) => `${row.table_name}.${row.column_name}`));
    const missing: string[] = [];
    for (const table of Object.values(schema)) {
      for (const column of Object.values(getTableColumns(table))) {
        const name = `${getTableName(table)}.${column.name}`;
        if (!actual.has(name)) missing.push(name);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every table with org_id has row-level security enabled and forced', async () => {
    const db = await sharedDatabase();
    const rows = await db.identity((tx) =>
      queryRows<{ relname: string; enabled: boolean; forced: boolean }>(
        tx,
        sql`select c.relname, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind = 'r'
              and exists (select 1 from information_schema.columns col where col.table_schema = 'public' and col.table_name = c.relname and col.column_name = 'org_id')`,
      ),
    );
    const tenantTables = rows.filter((row) => row.relname !== 'sessions' && row.relname !== 'action_tokens');
    expect(tenantTables.length).toBeGreaterThanOrEqual(5);
    for (const row of tenantTables) expect({ table: row.relname, enabled: row.enabled, forced: row.forced }).toEqual({ table: row.relname, enabled: true, forced: true });
  });
});
