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

  it('every table with org_id has the tenant policy', async () => {
    const db = await sharedDatabase();
    const rows = await db.identity((tx) =>
      queryRows<{ table_name: string; has_policy: boolean }>(
        tx,
        sql`select col.table_name,
                   exists (select 1 from pg_policies p where p.schemaname = 'public' and p.tablename = col.table_name and p.policyname = 'tenant_isolation' and p.permissive = 'PERMISSIVE') as has_policy
            from information_schema.columns col join information_schema.tables t on t.table_schema = col.table_schema and t.table_name = col.table_name
            where col.table_schema = 'public' and col.column_name = 'org_id' and t.table_type = 'BASE TABLE'`,
      ),
    );
    const tenantTables = rows.filter((row) => row.table_name !== 'sessions' && row.table_name !== 'action_tokens');
    expect(tenantTables.filter((row) => !row.has_policy).map((row) => row.table_name)).toEqual([]);
  });

  it('every table holding patient rows has the restrictive portal_self policy (the portal wall)', async () => {
    const db = await sharedDatabase();
    const rows = await db.identity((tx) =>
      queryRows<{ table_name: string; policies: number }>(
        tx,
        sql`select t.table_name,
                   (select count(*)::int from pg_policies p where p.schemaname = 'public' and p.tablename = t.table_name and p.policyname = 'portal_self' and p.permissive = 'RESTRICTIVE' and p.cmd = 'ALL') as policies
            from information_schema.tables t
            where t.table_schema = 'public' and t.table_type = 'BASE TABLE'
              and (t.table_name = 'patients' or exists (select 1 from information_schema.columns col where col.table_schema = 'public' and col.table_name = t.table_name and col.column_name = 'patient_id'))`,
      ),
    );
    expect(rows.map((row) => row.table_name)).toEqual(expect.arrayContaining(['patients', 'patient_keys', 'audit_events', 'entry_versions', 'patient_documents']));
    expect(rows.filter((row) => row.policies !== 1).map((row) => row.table_name)).toEqual([]);
  });

  it('grants the request role only what each patient-data table needs: versions are append-only', async () => {
    const db = await sharedDatabase();
    const rows = await db.identity((tx) =>
      queryRows<{ table_name: string; privilege_type: string }>(
        tx,
        sql`select table_name, privilege_type from information_schema.role_table_grants
            where grantee = 'haven_app' and table_schema = 'public'
              and table_name in ('custom_roles', 'patients', 'patient_name_tokens', 'care_team_members', 'break_glass_grants', 'dossier_entries', 'entry_versions', 'patient_documents')`,
      ),
    );
    const grants: Record<string, string[]> = {};
    for (const row of rows) (grants[row.table_name] ??= []).push(row.privilege_type);
    for (const list of Object.values(grants)) list.sort();
    expect(grants).toEqual({
      custom_roles: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
      patients: ['INSERT', 'SELECT', 'UPDATE'],
      patient_name_tokens: ['DELETE', 'INSERT', 'SELECT'],
      care_team_members: ['DELETE', 'INSERT', 'SELECT'],
      // UPDATE only on single columns (ended_at; shared_*), which this view does not list.
      break_glass_grants: ['INSERT', 'SELECT'],
      dossier_entries: ['INSERT', 'SELECT', 'UPDATE'],
      entry_versions: ['INSERT', 'SELECT'],
      patient_documents: ['INSERT', 'SELECT'],
    });
  });
});
