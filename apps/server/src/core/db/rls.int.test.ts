import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { createTestOrganisation, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { queryRows } from './database.ts';
import { auditEvents, memberships, organisations } from './schema.ts';

describe('row-level security', () => {
  let h: TestHarness;
  let a: TestOrganisation;
  let b: TestOrganisation;
  beforeAll(async () => {
    h = await createHarness();
    a = await createTestOrganisation(h);
    b = await createTestOrganisation(h);
  });
  afterAll(() => h.close());

  it('shows a tenant only its own rows', async () => {
    const seen = await h.db.tenant(a.orgId, (tx) => tx.select({ orgId: memberships.orgId }).from(memberships));
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((row) => row.orgId))).toEqual(new Set([a.orgId]));
  });

  it("sees none of another organisation's rows, even when asking for them by id", async () => {
    const rows = await h.db.tenant(a.orgId, (tx) => tx.select().from(memberships).where(eq(memberships.orgId, b.orgId)));
    expect(rows).toEqual([]);
    const org = await h.db.tenant(a.orgId, (tx) => tx.select().from(organisations).where(eq(organisations.id, b.orgId)));
    expect(org).toEqual([]);
    const audit = await h.db.tenant(a.orgId, (tx) => tx.select().from(auditEvents).where(eq(auditEvents.orgId, b.orgId)));
    expect(audit).toEqual([]);
  });

  it("rejects an insert into another organisation's rows", async () => {
    await expect(
      h.db.tenant(a.orgId, (tx) =>
        tx.insert(auditEvents).values({ orgId: b.orgId, occurredAt: new Date(), action: 'audit.read', outcome: 'success', changedFields: [] } as never),
      ),
    ).rejects.toThrow();
    const audit = await h.db.tenant(b.orgId, (tx) => tx.select().from(auditEvents).where(eq(auditEvents.action, 'audit.read')));
    expect(audit).toEqual([]);
  });

  it('sees nothing at all when no tenant is set', async () => {
    const rows = await h.db.identity((tx) => tx.select().from(memberships));
    expect(rows).toEqual([]);
    const orgs = await h.db.identity((tx) => tx.select().from(organisations));
    expect(orgs).toEqual([]);
  });

  it('runs requests as a role that is neither superuser nor table owner, and cannot rewrite the audit trail', async () => {
    const [role] = await h.db.identity((tx) =>
      queryRows<{ name: string; superuser: boolean; bypass: boolean }>(tx, sql`select current_user as name, rolsuper as superuser, rolbypassrls as bypass from pg_roles where rolname = current_user`),
    );
    expect(role).toEqual({ name: 'haven_app', superuser: false, bypass: false });
    await expect(h.db.tenant(a.orgId, (tx) => tx.execute(sql`update audit_events set action = 'x'`))).rejects.toThrow();
    await expect(h.db.tenant(a.orgId, (tx) => tx.execute(sql`delete from audit_events`))).rejects.toThrow();
    await expect(h.db.tenant(a.orgId, (tx) => tx.execute(sql`truncate audit_events`))).rejects.toThrow();
    await expect(h.db.tenant(a.orgId, (tx) => tx.execute(sql`alter table memberships disable row level security`))).rejects.toThrow();
    const count = await h.db.tenant(a.orgId, (tx) => tx.select().from(auditEvents));
    expect(count.length).toBeGreaterThan(0);
  });

  it('keeps 50 concurrent requests of two tenants apart', async () => {
    const requests = Array.from({ length: 50 }, (_, i) => {
      const org = i % 2 === 0 ? a : b;
      return org.owner.agent.get('/api/v1/staff').then((response) => ({ org, response }));
    });
    const results = await Promise.all(requests);
    for (const { org, response } of results) {
      expect(response.status).toBe(200);
      const emails = response.body.members.map((m: { email: string }) => m.email);
      expect(emails).toEqual([org.owner.email]);
    }
    const direct = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const orgId = i % 2 === 0 ? a.orgId : b.orgId;
        return h.db.tenant(orgId, async (tx) => ({ orgId, rows: await tx.select({ orgId: memberships.orgId }).from(memberships) }));
      }),
    );
    for (const { orgId, rows } of direct) expect(rows.every((row) => row.orgId === orgId)).toBe(true);
  });
});
