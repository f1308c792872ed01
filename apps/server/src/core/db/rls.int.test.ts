import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { createTestOrganisation, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { queryRows, type Tx } from './database.ts';
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

  it('keeps a portal transaction to its own patient (portal_self), and staff transactions to the tenant', async () => {
    // Raw rows: what matters here is the wall, not the sealing (the patient features test that).
    const [own, other] = [randomUUID(), randomUUID()];
    const bytes = Buffer.from('not a real ciphertext');
    await h.db.tenant(a.orgId, async (tx) => {
      for (const id of [own, other]) {
        await tx.execute(sql`insert into patient_keys (org_id, patient_id, wrapped_key, org_key_version, created_at) values (${a.orgId}, ${id}, ${bytes}, 1, now())`);
        await tx.execute(
          sql`insert into patients (org_id, id, name, birth_date, birth_date_bidx, details, status, created_by_account_id, created_at, updated_at)
              values (${a.orgId}, ${id}, ${bytes}, ${bytes}, ${bytes}, ${bytes}, 'active', ${a.owner.accountId}, now(), now())`,
        );
      }
    });
    // A portal transaction as the server opens one: Database.tenant with the patient set.
    const asPortal = <T>(patientId: string, fn: (tx: Tx) => Promise<T>) => h.db.tenant(a.orgId, fn, { patientId });
    const seen = await asPortal(own, (tx) => queryRows<{ id: string }>(tx, sql`select id from patients`));
    expect(seen.map((row) => row.id)).toEqual([own]);
    const keys = await asPortal(own, (tx) => queryRows<{ patient_id: string }>(tx, sql`select patient_id from patient_keys`));
    expect(keys.map((row) => row.patient_id)).toEqual([own]);
    // Another patient's rows cannot be changed or written, even inside the right practice.
    await asPortal(own, (tx) => tx.execute(sql`update patients set updated_at = now() + interval '1 day' where id = ${other}`));
    const untouched = await h.db.tenant(a.orgId, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from patients where id = ${other} and updated_at = created_at`));
    expect(untouched[0]!.n).toBe(1);
    await expect(
      asPortal(own, (tx) => tx.execute(sql`insert into patient_name_tokens (org_id, token, patient_id) values (${a.orgId}, ${bytes}, ${other})`)),
    ).rejects.toThrow();
    await expect(
      asPortal(own, (tx) =>
        tx.insert(auditEvents).values({ orgId: a.orgId, occurredAt: new Date(), action: 'audit.read', outcome: 'success', changedFields: [], patientId: other } as never),
      ),
    ).rejects.toThrow();
    // The same writes for the portal's own patient go through.
    await asPortal(own, async (tx) => {
      await tx.execute(sql`insert into patient_name_tokens (org_id, token, patient_id) values (${a.orgId}, ${bytes}, ${own})`);
      await tx.insert(auditEvents).values({ orgId: a.orgId, occurredAt: new Date(), action: 'audit.read', outcome: 'success', changedFields: [], patientId: own } as never);
    });
    // Staff transactions (no patient set) see every patient of the practice, none of another.
    const staff = await h.db.tenant(a.orgId, (tx) => queryRows<{ id: string }>(tx, sql`select id from patients`));
    expect(new Set(staff.map((row) => row.id))).toEqual(new Set([own, other]));
    expect(await h.db.tenant(b.orgId, (tx) => queryRows(tx, sql`select id from patients`))).toEqual([]);
    // The setting ends with its transaction: the next one on the same engine sees the practice again.
    expect((await h.db.tenant(a.orgId, (tx) => queryRows<{ id: string }>(tx, sql`select id from patients`))).length).toBe(2);
    expect(() => h.db.tenant(a.orgId, async () => 0, { patientId: 'not-a-uuid' })).toThrow();
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
