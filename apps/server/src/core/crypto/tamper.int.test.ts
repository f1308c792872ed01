import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestOrganisation } from '../../../test/support/fixtures.ts';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { tamper } from '../../../test/support/tamper.ts';
import { organisations } from '../db/schema.ts';
import { createLogger } from '../logger.ts';

/**
 * Someone with write access to the database moves or edits ciphertext. Haven must refuse to
 * read it — a 500 with a request id, nothing of the content in the answer or the logs — rather
 * than show another person's data or garbage.
 */
describe('tampered ciphertext', () => {
  let h: TestHarness;
  const logLines: string[] = [];
  beforeAll(async () => {
    h = await createHarness({ logger: createLogger('info', new Writable({ write: (chunk, _e, done) => { logLines.push(String(chunk)); done(); } })) });
  });
  afterAll(() => h.close());

  it("refuses another account's name copied into this row", async () => {
    const victim = await createTestOrganisation(h);
    const other = await createTestOrganisation(h);
    // Same column, same key (the platform key), another row: only the bound place tells them apart.
    await tamper(h.db, victim.orgId, [
      `update accounts set name = (select name from accounts where id = '${other.owner.accountId}') where id = '${victim.owner.accountId}'`,
    ]);
    const response = await victim.owner.agent.get('/api/v1/me');
    expect(response.status).toBe(500);
    expect(response.body.error).toMatchObject({ code: 'INTERNAL', requestId: expect.any(String) });
    expect(JSON.stringify(response.body)).not.toMatch(/Owner |@example\.org/);
    const logged = logLines.join('');
    expect(logged).toContain('DecryptionError');
    expect(logged).not.toContain(other.owner.email);
  });

  it('refuses a flipped byte in a sealed value', async () => {
    const org = await createTestOrganisation(h);
    await tamper(h.db, org.orgId, [
      `update accounts set phone = overlay(phone placing '\\x00'::bytea from length(phone) for 1) where id = '${org.owner.accountId}'`,
    ]);
    const response = await org.owner.agent.get('/api/v1/me');
    expect(response.status).toBe(500);
    expect(response.body.error.code).toBe('INTERNAL');
  });

  it("refuses a practice's address moved to another practice (another key and place)", async () => {
    const a = await createTestOrganisation(h);
    const b = await createTestOrganisation(h);
    // The organisations table forces RLS: the owner must name each tenant while tampering.
    const [stolen] = await h.db.tenant(a.orgId, (tx) => tx.select({ street: organisations.street }).from(organisations));
    await tamper(h.db, b.orgId, [`update organisations set street = '\\x${stolen!.street!.bytes.toString('hex')}' where id = '${b.orgId}'`]);
    const response = await b.owner.agent.get('/api/v1/organisation');
    expect(response.status).toBe(500);
    expect(response.body.error.code).toBe('INTERNAL');
  });
});
