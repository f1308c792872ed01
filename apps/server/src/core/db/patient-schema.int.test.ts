import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type TestHarness } from '../../../test/support/harness.ts';
import { createTestOrganisation, type TestOrganisation } from '../../../test/support/fixtures.ts';
import { queryRows, type Tx } from './database.ts';

/*
 * What the issue-5 migrations promise by themselves, before any feature code relies on it: the
 * custom-role rules on memberships and invitations, append-only entry versions, versions and
 * files that cannot cross to another patient, and grants that allow only ending a grant early.
 * Raw rows: sealing is the features' business, so the sealed columns hold placeholder bytes.
 */
describe('patient and role tables (migrations 2026-11-25)', () => {
  let h: TestHarness;
  let a: TestOrganisation;
  let b: TestOrganisation;
  const bytes = Buffer.from('placeholder, not a ciphertext');
  beforeAll(async () => {
    h = await createHarness();
    a = await createTestOrganisation(h, { secondFactor: 'not-required' });
    b = await createTestOrganisation(h, { secondFactor: 'not-required' });
  });
  afterAll(() => h.close());

  const inA = <T>(fn: (tx: Tx) => Promise<T>) => h.db.tenant(a.orgId, fn);
  /** Drizzle wraps the driver's error ("Failed query: …"); the reason is in its cause. */
  const reason = (error: unknown) => String((error as { cause?: Error }).cause?.message ?? error);
  const permissionDenied = (error: unknown) => /permission denied/.test(reason(error));
  const violates = (what: RegExp) => (error: unknown) => what.test(reason(error));

  async function customRole(org: TestOrganisation): Promise<string> {
    const id = randomUUID();
    await h.db.tenant(org.orgId, (tx) =>
      tx.execute(sql`insert into custom_roles (org_id, id, name, permissions, created_by_account_id, created_at, updated_at)
                     values (${org.orgId}, ${id}, ${`Role ${id.slice(0, 8)}`}, ${sql.raw(`'{patient:read}'::text[]`)}, ${org.owner.accountId}, now(), now())`),
    );
    return id;
  }

  async function patient(): Promise<string> {
    const id = randomUUID();
    await inA(async (tx) => {
      await tx.execute(sql`insert into patient_keys (org_id, patient_id, wrapped_key, org_key_version, created_at) values (${a.orgId}, ${id}, ${bytes}, 1, now())`);
      await tx.execute(
        sql`insert into patients (org_id, id, name, birth_date, birth_date_bidx, details, status, created_by_account_id, created_at, updated_at)
            values (${a.orgId}, ${id}, ${bytes}, ${bytes}, ${bytes}, ${bytes}, 'active', ${a.owner.accountId}, now(), now())`,
      );
    });
    return id;
  }

  async function entry(patientId: string): Promise<string> {
    const id = randomUUID();
    await inA(async (tx) => {
      await tx.execute(sql`insert into dossier_entries (org_id, id, patient_id, kind, current_version, status, effective_at, created_by_account_id, created_at, updated_at)
                           values (${a.orgId}, ${id}, ${patientId}, 'note', 1, 'active', now(), ${a.owner.accountId}, now(), now())`);
      await tx.execute(sql`insert into entry_versions (org_id, entry_id, version, patient_id, content, effective_at, author_account_id, author_role, recorded_at)
                           values (${a.orgId}, ${id}, 1, ${patientId}, ${bytes}, now(), ${a.owner.accountId}, 'owner', now())`);
    });
    return id;
  }

  it("a membership is 'custom' exactly when it names one of its own practice's roles, and keeps that role from deletion", async () => {
    const own = await customRole(a);
    const foreign = await customRole(b);
    const setRole = (role: string, roleId: string | null) =>
      inA((tx) => tx.execute(sql`update memberships set role = ${role}, custom_role_id = ${roleId} where id = ${a.owner.membershipId}`));
    await expect(setRole('custom', null)).rejects.toSatisfy(violates(/memberships_custom_role_check/));
    await expect(setRole('owner', own)).rejects.toSatisfy(violates(/memberships_custom_role_check/));
    await expect(setRole('custom', foreign)).rejects.toSatisfy(violates(/memberships_custom_role_fk/));
    await setRole('custom', own);
    await expect(inA((tx) => tx.execute(sql`delete from custom_roles where id = ${own}`))).rejects.toSatisfy(violates(/memberships_custom_role_fk/));
    await setRole('owner', null);
    await inA((tx) => tx.execute(sql`delete from custom_roles where id = ${own}`));
  });

  it("an old invitation does not keep its role from deletion: the id is cleared, the role stays 'custom'", async () => {
    const role = await customRole(a);
    const [tokenId, invitationId] = [randomUUID(), randomUUID()];
    await inA(async (tx) => {
      await tx.execute(sql`insert into action_tokens (id, purpose, token_hash, org_id, created_at, expires_at) values (${tokenId}, 'invitation', ${randomUUID()}::text::bytea, ${a.orgId}, now(), now() + interval '7 days')`);
      await tx.execute(sql`insert into invitations (org_id, id, email, email_bidx, role, custom_role_id, invited_by_account_id, token_id, created_at, expires_at, revoked_at)
                           values (${a.orgId}, ${invitationId}, ${bytes}, ${bytes}, 'custom', ${role}, ${a.owner.accountId}, ${tokenId}, now(), now() + interval '7 days', now())`);
    });
    await expect(inA((tx) => tx.execute(sql`update invitations set role = 'practitioner' where id = ${invitationId}`))).rejects.toSatisfy(violates(/invitations_custom_role_check/));
    await inA((tx) => tx.execute(sql`delete from custom_roles where id = ${role}`));
    const [row] = await inA((tx) => queryRows<{ role: string; custom_role_id: string | null }>(tx, sql`select role, custom_role_id from invitations where id = ${invitationId}`));
    expect(row).toEqual({ role: 'custom', custom_role_id: null });
  });

  it('keeps role names unique per practice, whatever the case', async () => {
    const insert = (org: TestOrganisation, name: string) =>
      h.db.tenant(org.orgId, (tx) =>
        tx.execute(sql`insert into custom_roles (org_id, id, name, permissions, created_by_account_id, created_at, updated_at)
                       values (${org.orgId}, ${randomUUID()}, ${name}, ${sql.raw(`'{patient:read}'::text[]`)}, ${org.owner.accountId}, now(), now())`),
      );
    await insert(a, 'Reception');
    await expect(insert(a, 'RECEPTION')).rejects.toSatisfy(violates(/custom_roles_name_key/));
    await insert(b, 'reception');
  });

  it('makes entry versions append-only for the request role, and ties each to its entry’s patient', async () => {
    const [p1, p2] = [await patient(), await patient()];
    const entryId = await entry(p1);
    await expect(inA((tx) => tx.execute(sql`update entry_versions set recorded_at = now() where entry_id = ${entryId}`))).rejects.toSatisfy(permissionDenied);
    await expect(inA((tx) => tx.execute(sql`delete from entry_versions where entry_id = ${entryId}`))).rejects.toSatisfy(permissionDenied);
    await expect(inA((tx) => tx.execute(sql`delete from dossier_entries where id = ${entryId}`))).rejects.toSatisfy(permissionDenied);
    // A second version filed under another patient is refused.
    await expect(
      inA((tx) =>
        tx.execute(sql`insert into entry_versions (org_id, entry_id, version, patient_id, content, effective_at, author_account_id, author_role, recorded_at)
                       values (${a.orgId}, ${entryId}, 2, ${p2}, ${bytes}, now(), ${a.owner.accountId}, 'owner', now())`),
      ),
    ).rejects.toSatisfy(violates(/foreign key constraint/));
    // Nor may a version point at another patient's document.
    const documentId = randomUUID();
    await inA((tx) =>
      tx.execute(sql`insert into patient_documents (org_id, id, patient_id, blob_id, name, content_type, size_bytes, uploaded_by_account_id, created_at)
                     values (${a.orgId}, ${documentId}, ${p2}, ${randomUUID()}, ${bytes}, 'application/pdf', 10, ${a.owner.accountId}, now())`),
    );
    await expect(
      inA((tx) =>
        tx.execute(sql`insert into entry_versions (org_id, entry_id, version, patient_id, content, document_id, effective_at, author_account_id, author_role, recorded_at)
                       values (${a.orgId}, ${entryId}, 2, ${p1}, ${bytes}, ${documentId}, now(), ${a.owner.accountId}, 'owner', now())`),
      ),
    ).rejects.toSatisfy(violates(/entry_versions_document_fk/));
    await expect(inA((tx) => tx.execute(sql`update patient_documents set size_bytes = 11 where id = ${documentId}`))).rejects.toSatisfy(permissionDenied);
    await inA((tx) => tx.execute(sql`update patient_documents set shared_with_patient_at = now(), shared_by_account_id = ${a.owner.accountId} where id = ${documentId}`));
  });

  it('lets a break-the-glass grant only be ended, and a patient be registered once per identifier', async () => {
    const patientId = await patient();
    const grantId = randomUUID();
    await inA((tx) =>
      tx.execute(sql`insert into break_glass_grants (org_id, id, patient_id, membership_id, account_id, reason_code, granted_at, expires_at)
                     values (${a.orgId}, ${grantId}, ${patientId}, ${a.owner.membershipId}, ${a.owner.accountId}, 'emergency', now(), now() + interval '1 hour')`),
    );
    await expect(inA((tx) => tx.execute(sql`update break_glass_grants set expires_at = expires_at + interval '1 day' where id = ${grantId}`))).rejects.toSatisfy(permissionDenied);
    await inA((tx) => tx.execute(sql`update break_glass_grants set ended_at = now() where id = ${grantId}`));
    // 'other' needs its (sealed) text.
    await expect(
      inA((tx) =>
        tx.execute(sql`insert into break_glass_grants (org_id, id, patient_id, membership_id, account_id, reason_code, granted_at, expires_at)
                       values (${a.orgId}, ${randomUUID()}, ${patientId}, ${a.owner.membershipId}, ${a.owner.accountId}, 'other', now(), now() + interval '1 hour')`),
      ),
    ).rejects.toSatisfy(violates(/break_glass_grants_check/));

    const index = Buffer.from(randomUUID());
    const withId = (id: string) =>
      inA(async (tx) => {
        await tx.execute(sql`insert into patient_keys (org_id, patient_id, wrapped_key, org_key_version, created_at) values (${a.orgId}, ${id}, ${bytes}, 1, now())`);
        await tx.execute(
          sql`insert into patients (org_id, id, name, birth_date, birth_date_bidx, details, national_id_kind, national_id, national_id_bidx, status, created_by_account_id, created_at, updated_at)
              values (${a.orgId}, ${id}, ${bytes}, ${bytes}, ${bytes}, ${bytes}, 'bsn', ${bytes}, ${index}, 'active', ${a.owner.accountId}, now(), now())`,
        );
      });
    await withId(randomUUID());
    await expect(withId(randomUUID())).rejects.toSatisfy(violates(/patients_national_id_key/));
    // A patient row needs its key first.
    await expect(
      inA((tx) =>
        tx.execute(sql`insert into patients (org_id, id, name, birth_date, birth_date_bidx, details, status, created_by_account_id, created_at, updated_at)
                       values (${a.orgId}, ${randomUUID()}, ${bytes}, ${bytes}, ${bytes}, ${bytes}, 'active', ${a.owner.accountId}, now(), now())`),
      ),
    ).rejects.toSatisfy(violates(/foreign key constraint/));
  });

  it('gives organisations the break-the-glass and patient second-factor defaults', async () => {
    const [row] = await inA((tx) =>
      queryRows<{ break_glass_minutes: number; patient_second_factor_required: boolean }>(tx, sql`select break_glass_minutes, patient_second_factor_required from organisations`),
    );
    expect(row).toEqual({ break_glass_minutes: 60, patient_second_factor_required: false });
    await expect(inA((tx) => tx.execute(sql`update organisations set break_glass_minutes = 10`))).rejects.toSatisfy(violates(/break_glass_minutes_check/));
    await expect(inA((tx) => tx.execute(sql`update organisations set break_glass_minutes = 241`))).rejects.toSatisfy(violates(/break_glass_minutes_check/));
  });
});
