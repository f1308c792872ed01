import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestOrganisation, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { tamper } from '../../../test/support/tamper.ts';
import { auditChain, auditEvents } from '../db/schema.ts';
import { AuditSigner } from './signing-key.ts';
import { verifyOrganisation } from './verify.ts';

describe('tamper-evident audit trail', () => {
  let h: TestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  /** A practice with a handful of sealed audit records. */
  async function sealedOrganisation(): Promise<{ org: TestOrganisation; ids: number[] }> {
    const org = await createTestOrganisation(h);
    await org.owner.agent.patch('/api/v1/me', { name: 'Dr. Renamed' });
    await org.owner.agent.get('/api/v1/audit-events');
    await h.services.sealer.sealOnce();
    const rows = await h.db.tenant(org.orgId, (tx) => tx.select({ id: auditEvents.id }).from(auditEvents).orderBy(auditEvents.id));
    return { org, ids: rows.map((row) => Number(row.id)) };
  }
  const verify = (orgId: string) => verifyOrganisation(h.db, orgId, h.services.signer.publicKey, h.clock.now());

  it('chains every record and verifies a clean trail', async () => {
    const { org, ids } = await sealedOrganisation();
    expect(ids.length).toBeGreaterThanOrEqual(5);
    const result = await verify(org.orgId);
    expect(result.problem).toBeNull();
    expect(result.recordsChecked).toBe(ids.length);
    expect(result.checkpointsChecked).toBeGreaterThan(0);
    const page = await org.owner.agent.get('/api/v1/audit-events?limit=200');
    expect(page.body.events.filter((e: { sealed: boolean }) => e.sealed).length).toBeGreaterThanOrEqual(ids.length);
  });

  it('names a record whose contents were changed', async () => {
    const { org, ids } = await sealedOrganisation();
    const target = ids[2]!;
    await tamper(h.db, org.orgId, [`update audit_events set action = 'auth.logout' where org_id = '${org.orgId}' and id = ${target}`]);
    const result = await verify(org.orgId);
    expect(result.problem).toMatchObject({ kind: 'changed', eventId: target });
    expect(result.problem!.message).toContain(`record ${target}`);
  });

  it('names a record that was removed', async () => {
    const { org, ids } = await sealedOrganisation();
    const target = ids[1]!;
    await tamper(h.db, org.orgId, [`delete from audit_events where org_id = '${org.orgId}' and id = ${target}`]);
    const result = await verify(org.orgId);
    expect(result.problem).toMatchObject({ kind: 'removed', eventId: target });
  });

  it('names a record that was removed together with its chain link', async () => {
    const { org, ids } = await sealedOrganisation();
    const target = ids[1]!;
    await tamper(h.db, org.orgId, [
      `delete from audit_chain where org_id = '${org.orgId}' and event_id = ${target}`,
      `delete from audit_events where org_id = '${org.orgId}' and id = ${target}`,
    ]);
    const result = await verify(org.orgId);
    expect(result.problem?.kind).toBe('removed');
  });

  it('names a record inserted into the history behind the sealer', async () => {
    const { org } = await sealedOrganisation();
    await tamper(h.db, org.orgId, [
      `insert into audit_events (org_id, id, occurred_at, action, outcome, changed_fields)
       values ('${org.orgId}', 990000001, now() - interval '2 days', 'auth.logout', 'success', '{}')`,
    ]);
    await h.services.sealer.sealOnce(); // a backdated record is never chained
    const result = await verify(org.orgId);
    expect(result.problem).toMatchObject({ kind: 'inserted', eventId: 990000001 });
    expect(result.problem!.message).toContain('record 990000001');
  });

  it('detects a rewritten chain through the signed checkpoints', async () => {
    const { org, ids } = await sealedOrganisation();
    const target = ids[0]!;
    // Change a record and recompute every link after it: only the signature can tell.
    await tamper(h.db, org.orgId, [`update audit_events set ip = '10.6.6.6' where org_id = '${org.orgId}' and id = ${target}`]);
    const { chainHash, genesisHash } = await import('./hash-chain.ts');
    const events = await h.db.tenant(org.orgId, (tx) => tx.select().from(auditEvents).orderBy(auditEvents.id));
    const links = await h.db.tenant(org.orgId, (tx) => tx.select().from(auditChain).where(eq(auditChain.orgId, org.orgId)).orderBy(auditChain.seq));
    let previous: Buffer = genesisHash;
    const statements: string[] = [];
    for (const link of links) {
      const event = events.find((e) => Number(e.id) === Number(link.eventId))!;
      const hash = chainHash(previous, event);
      statements.push(`update audit_chain set prev_hash = '\\x${previous.toString('hex')}', hash = '\\x${hash.toString('hex')}' where org_id = '${org.orgId}' and seq = ${link.seq}`);
      previous = hash;
    }
    await tamper(h.db, org.orgId, statements);
    const result = await verify(org.orgId);
    expect(result.problem?.kind).toBe('chain_broken');
  });

  it('refuses checkpoints signed by another key', async () => {
    const { org } = await sealedOrganisation();
    const stranger = AuditSigner.generate();
    const result = await verifyOrganisation(h.db, org.orgId, stranger.publicKey, h.clock.now());
    expect(result.problem?.kind).toBe('bad_checkpoint');
  });

  it('does not make requests wait on a chain: records commit unchained and are sealed in order', async () => {
    const org = await createTestOrganisation(h);
    await Promise.all(Array.from({ length: 20 }, () => org.owner.agent.patch('/api/v1/me', { locale: 'nl' }).then(() => org.owner.agent.patch('/api/v1/me', { locale: 'de' }))));
    const before = await h.db.tenant(org.orgId, (tx) => tx.select().from(auditChain));
    await h.services.sealer.sealOnce();
    const after = await h.db.tenant(org.orgId, (tx) => tx.select().from(auditChain).orderBy(auditChain.seq));
    expect(after.length).toBeGreaterThan(before.length);
    const ids = after.map((link) => Number(link.eventId));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect((await verify(org.orgId)).problem).toBeNull();
    const unsealed = await h.db.tenant(org.orgId, (tx) =>
      tx.select().from(auditEvents).leftJoin(auditChain, and(eq(auditChain.orgId, auditEvents.orgId), eq(auditChain.eventId, auditEvents.id))),
    );
    expect(unsealed.every((row) => row.audit_chain !== null)).toBe(true);
  });
});
