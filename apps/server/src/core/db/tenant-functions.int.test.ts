import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createTestOrganisation, unique, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, testEngine, type TestHarness } from '../../../test/support/harness.ts';
import { openDatabase, type Database } from './database.ts';
import { sha256 } from '../security/tokens.ts';
import { dbFunctions, defineDbFunction, type DbFunction } from './functions.ts';
import { memberships } from './schema.ts';

/**
 * The one-statement path (docs/design/patients-and-dossiers.md §6.1): a plpgsql function sets its
 * own role, tenant and scope with is_local = true. The probe functions are created here, as the
 * owner (PostgreSQL) or the embedded superuser (PGlite), so no migration carries test code; each
 * run uses its own names and drops them afterwards.
 */
describe('tenant functions (one statement, own context)', () => {
  let h: TestHarness;
  let a: TestOrganisation;
  let b: TestOrganisation;
  /** PostgreSQL: a one-connection pool, so "the next statement" surely runs on the same connection. */
  let db: Database;
  const suffix = unique();
  const memberOrgs = `haven_test_member_orgs_${suffix}`;
  const settings = `haven_test_settings_${suffix}`;
  let listMemberOrgs: DbFunction;
  let readSettings: DbFunction;

  async function asOwner(sql: string): Promise<void> {
    if (testEngine() === 'pglite') {
      await h.db.unsafeEmbeddedClient!.exec(sql);
      return;
    }
    const client = new pg.Client({ connectionString: inject('postgresOwnerUrl') });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    h = await createHarness();
    a = await createTestOrganisation(h, { secondFactor: 'not-required' });
    b = await createTestOrganisation(h, { secondFactor: 'not-required' });
    db = testEngine() === 'postgres' ? await openDatabase({ engine: 'postgres', url: inject('postgresAppUrl'), poolSize: 1 }) : h.db;
    // Exactly the shape production functions take: SECURITY INVOKER, no SET clause, context first.
    // p_fail raises from inside, after the context is set, to show errors surface and release.
    await asOwner(`
      CREATE FUNCTION ${memberOrgs}(p_org uuid, p_fail boolean)
      RETURNS TABLE (org_id uuid, role_name text, org_setting text, scope_setting text)
      LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
      BEGIN
        PERFORM set_config('role', 'haven_app', true),
                set_config('app.org_id', coalesce(p_org::text, ''), true),
                set_config('app.scope', 'request', true);
        IF p_fail THEN
          RAISE EXCEPTION 'probe failure requested';
        END IF;
        RETURN QUERY SELECT m.org_id, current_user::text, current_setting('app.org_id', true), current_setting('app.scope', true)
                     FROM memberships m;
      END $$;
      REVOKE ALL ON FUNCTION ${memberOrgs}(uuid, boolean) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION ${memberOrgs}(uuid, boolean) TO haven_app;
      -- Sets nothing: reports what the connection carries into the next statement.
      CREATE FUNCTION ${settings}()
      RETURNS TABLE (role_name text, org_setting text, scope_setting text, sample bytea)
      LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
      BEGIN
        RETURN QUERY SELECT current_user::text, coalesce(current_setting('app.org_id', true), ''), coalesce(current_setting('app.scope', true), ''), '\\x0102ff'::bytea;
      END $$;
      REVOKE ALL ON FUNCTION ${settings}() FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION ${settings}() TO haven_app;
    `);
    listMemberOrgs = defineDbFunction(`test_member_orgs_${suffix}`, `select * from ${memberOrgs}($1, $2)`);
    readSettings = defineDbFunction(`test_settings_${suffix}`, `select * from ${settings}()`);
  });

  afterAll(async () => {
    if (db && db !== h.db) await db.close();
    await asOwner(`DROP FUNCTION IF EXISTS ${memberOrgs}(uuid, boolean); DROP FUNCTION IF EXISTS ${settings}();`);
    await h.close();
  });

  type MemberOrgRow = { org_id: string; role_name: string; org_setting: string; scope_setting: string };

  it("switches to haven_app inside the function, and RLS shows org A none of org B's rows", async () => {
    const rows = await db.callTenantFunction<MemberOrgRow>(a.orgId, listMemberOrgs, [false]);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((row) => row.org_id))).toEqual(new Set([a.orgId]));
    expect(rows[0]).toMatchObject({ role_name: 'haven_app', org_setting: a.orgId, scope_setting: 'request' });
    const forB = await db.callTenantFunction<MemberOrgRow>(b.orgId, listMemberOrgs, [false]);
    expect(new Set(forB.map((row) => row.org_id))).toEqual(new Set([b.orgId]));
  });

  it('leaves nothing behind: the next statement on the connection has no tenant, scope or role', async () => {
    await db.callTenantFunction(a.orgId, listMemberOrgs, [false]);
    const [after] = await db.callIdentityFunction<{ role_name: string; org_setting: string; scope_setting: string }>(readSettings, []);
    expect(after).toMatchObject({
      // PGlite's session is the superuser, PostgreSQL's the haven_app login: either way, the login role again.
      role_name: testEngine() === 'pglite' ? 'postgres' : 'haven_app',
      org_setting: '',
      scope_setting: '',
    });
  });

  it('haven_read_session enters the session\'s practice only inside the statement', async () => {
    const token = [...a.owner.agent.cookies].find(([name]) => name.endsWith('haven_session'))?.[1];
    expect(token, 'the owner agent carries a session cookie').toBeDefined();
    const [row] = await db.callIdentityFunction<{ account_id: string; org_id: string; membership_id: string | null; membership_role: string | null; ip_allowlist: string[] | null; patient_account_id: string | null }>(dbFunctions.readSession, [sha256(token!)]);
    expect(row).toMatchObject({ account_id: a.owner.accountId, org_id: a.orgId, membership_id: a.owner.membershipId, membership_role: 'owner', ip_allowlist: [], patient_account_id: null });
    const [after] = await db.callIdentityFunction<{ role_name: string; org_setting: string; scope_setting: string }>(readSettings, []);
    expect(after).toMatchObject({ org_setting: '', scope_setting: '' });
    expect(await db.callIdentityFunction(dbFunctions.readSession, [sha256(`${token}x`)])).toEqual([]);
  });

  it('returns bytea as a Buffer on both engines', async () => {
    const [row] = await db.callIdentityFunction<{ sample: unknown }>(readSettings, []);
    expect(Buffer.isBuffer(row!.sample)).toBe(true);
    expect(row!.sample).toEqual(Buffer.from([1, 2, 255]));
  });

  // PostgreSQL's test login is haven_app itself, so switching to it is no proof the switch takes
  // effect. As the superuser (who would bypass RLS), the function must still drop to haven_app.
  it.runIf(testEngine() === 'postgres' && inject('postgresSuperUrl') !== '')('drops a privileged PostgreSQL login to haven_app inside the function', async () => {
    const superDb = await openDatabase({ engine: 'postgres', url: inject('postgresSuperUrl'), poolSize: 1 });
    try {
      const rows = await superDb.callTenantFunction<MemberOrgRow>(a.orgId, listMemberOrgs, [false]);
      expect(new Set(rows.map((row) => row.org_id))).toEqual(new Set([a.orgId]));
      expect(rows[0]!.role_name).toBe('haven_app');
      const [after] = await superDb.callIdentityFunction<{ role_name: string; org_setting: string }>(readSettings, []);
      expect(after).toMatchObject({ role_name: 'postgres', org_setting: '' });
    } finally {
      await superDb.close();
    }
  });

  it('sees no tenant rows when called as an identity function', async () => {
    const rows = await db.callIdentityFunction<MemberOrgRow>(listMemberOrgs, [null, false]);
    expect(rows).toEqual([]);
  });

  it('refuses an organisation that is not a UUID, before any SQL', async () => {
    for (const bad of ['', 'not-a-uuid', `${a.orgId}'; select 1; --`, a.orgId.replace(/-/g, 'x'), `${a.orgId}0`]) {
      await expect(db.callTenantFunction(bad, listMemberOrgs, [false])).rejects.toThrow(/needs an organisation id/);
    }
  });

  it('refuses a function that was not registered', async () => {
    const handMade = { name: 'sneaky', text: `select * from ${memberOrgs}($1, $2)` } as unknown as DbFunction;
    await expect(db.callTenantFunction(a.orgId, handMade, [false])).rejects.toThrow(/registered/);
    expect(() => defineDbFunction('bad_text', `select * from ${memberOrgs}('x', $1)`)).toThrow(/text must be/);
    expect(() => defineDbFunction(`test_member_orgs_${suffix}`, `select * from ${settings}()`)).toThrow(/already registered/);
  });

  it('surfaces errors raised inside the function and releases the connection (no hang, no leaked context)', async () => {
    await expect(db.callTenantFunction(a.orgId, listMemberOrgs, [true])).rejects.toThrow(/probe failure requested/);
    const [after] = await db.callIdentityFunction<{ org_setting: string }>(readSettings, []);
    expect(after!.org_setting).toBe('');
    // Several failures in a row, then concurrent work: the mutex (PGlite) and the one pooled
    // connection (PostgreSQL) were released every time.
    for (let i = 0; i < 3; i += 1) await expect(db.callTenantFunction(b.orgId, listMemberOrgs, [true])).rejects.toThrow();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => db.callTenantFunction<MemberOrgRow>(i % 2 === 0 ? a.orgId : b.orgId, listMemberOrgs, [false])),
    );
    results.forEach((rows, i) => expect(new Set(rows.map((row) => row.org_id))).toEqual(new Set([i % 2 === 0 ? a.orgId : b.orgId])));
  });

  it('interleaves with ordinary transactions without either seeing the other\'s tenant', async () => {
    const work = Array.from({ length: 20 }, async (_, i) => {
      const org = i % 2 === 0 ? a : b;
      if (i % 4 < 2) return { org, seen: (await db.callTenantFunction<MemberOrgRow>(org.orgId, listMemberOrgs, [false])).map((row) => row.org_id) };
      return { org, seen: await db.tenant(org.orgId, async (tx) => (await tx.select({ orgId: memberships.orgId }).from(memberships)).map((row) => row.orgId)) };
    });
    for (const { org, seen } of await Promise.all(work)) expect(new Set(seen)).toEqual(new Set([org.orgId]));
  });
});
