import type { BreakGlassGrant, BreakGlassInput } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { loadPatientFacts } from '../../core/authz/authorize.ts';
import { auditMeta, memberOf, type RequestContext } from '../../core/context.ts';
import type { PatientCipher } from '../../core/crypto/patient-cipher.ts';
import type { Tx } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';
import { sendAfterCommit, type OutgoingMail } from '../../core/mail/mailer.ts';
import { renderMail } from '../../core/mail/templates.ts';
import { newId } from '../../core/security/tokens.ts';
import { findAccountById } from '../accounts/repository.ts';
import { findOrganisation } from '../organisations/repository.ts';
import { findPatientAccountOfPatient } from '../patient-accounts/repository.ts';
import { careTeamEvent } from './audit.ts';
import { activeCareTeamAccounts, breakGlassMinutesOf, endActiveGrants, findActiveGrant, insertGrant, lockPatientRow, type GrantRow } from './repository.ts';

/*
 * Break-the-glass (issue 5 §1.4): a member with `breakglass:use` who is not in a patient's care
 * team opens the record in an emergency. The route asks for a recent proof with the strongest
 * factor (a stolen session must not open every dossier); the grant lasts the practice's
 * `break_glass_minutes` and counts as care-team membership for care-team-scoped permissions
 * (core/authz/policies.ts), never for managing the team. The care team is told at once.
 */

/** Where a grant's free-text reason is sealed (under the patient's key); the portal's access log opens it too. */
export const reasonPlace = (grantId: string) => ({ table: 'break_glass_grants', column: 'reason_text', rowId: grantId });

function presentGrant(row: GrantRow, cipher: PatientCipher): BreakGlassGrant {
  return {
    id: row.id,
    patientId: row.patientId,
    reasonCode: row.reasonCode,
    reasonText: row.reasonText ? cipher.open(reasonPlace(row.id), row.reasonText) : null,
    grantedAt: row.grantedAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    endedAt: row.endedAt ? row.endedAt.toISOString() : null,
  };
}

/**
 * The alert to the care team: no patient name, no reason (a mailbox is not a dossier) — only that
 * it happened at this practice, and where to sign in to see who and why.
 */
async function careTeamAlerts(ctx: RequestContext, tx: Tx, orgId: string, patientId: string): Promise<OutgoingMail[]> {
  const { fields, config } = ctx.services;
  const org = await findOrganisation(tx, fields, orgId);
  if (!org) return [];
  const mails: OutgoingMail[] = [];
  for (const accountId of await activeCareTeamAccounts(tx, orgId, patientId)) {
    const account = await findAccountById(tx, fields, accountId);
    if (account) mails.push(renderMail('break_glass_care_team', account.locale, account.email, { name: account.name, organisation: org.name }, `${config.publicUrl}/patients/${patientId}`));
  }
  return mails;
}

/**
 * The alert to the patient (design §1.4), when they have an active portal account: to that
 * account's address, in its language. Like the care team's, it names nobody and gives no reason;
 * the portal's access log shows who, when and why.
 */
async function patientBreakGlassAlerts(ctx: RequestContext, tx: Tx, orgId: string, patientId: string): Promise<OutgoingMail[]> {
  const { fields, config } = ctx.services;
  const portalAccount = await findPatientAccountOfPatient(tx, orgId, patientId);
  if (portalAccount?.status !== 'active') return [];
  const [org, account] = [await findOrganisation(tx, fields, orgId), await findAccountById(tx, fields, portalAccount.accountId)];
  if (!org || !account) return [];
  return [renderMail('break_glass_patient', account.locale, account.email, { organisation: org.name }, `${config.publicUrl}/portal/access-log`)];
}

type Outcome = { refused: AppError } | { grant: BreakGlassGrant; created: boolean; mails: OutgoingMail[] };

/**
 * Opens emergency access to a patient. A grant the caller already holds is returned as it is
 * (`created: false`) rather than stacked; otherwise a new one, recorded with its reason code.
 */
export async function breakTheGlass(ctx: RequestContext, input: { unverifiedPatientId: string } & BreakGlassInput): Promise<{ grant: BreakGlassGrant; created: boolean }> {
  const actor = memberOf(ctx);
  const { db, clock, fields, mailer } = ctx.services;
  const now = clock.now();
  const outcome = await db.tenant(actor.orgId, async (tx): Promise<Outcome> => {
    const facts = await loadPatientFacts(tx, actor, input.unverifiedPatientId, now);
    if (!facts.exists || facts.erased) {
      // As core/authz/authorize.ts: a patient of this practice is recorded (their access log
      // shows it); an id that names nobody here may be another practice's and is not.
      if (facts.exists) {
        await appendAudit(tx, actor.orgId, auditMeta(ctx, now), careTeamEvent({ action: 'access.denied', outcome: 'denied', resourceType: 'patient', resourceId: input.unverifiedPatientId, patientId: input.unverifiedPatientId, reason: 'not_found:break_glass' }));
      }
      return { refused: new AppError('PATIENT_NOT_FOUND', { internal: 'break-the-glass for a patient who is not there' }) };
    }
    if (facts.inCareTeam) return { refused: new AppError('BREAK_GLASS_NOT_NEEDED') };
    const patientId = input.unverifiedPatientId;
    await lockPatientRow(tx, actor.orgId, patientId);
    const cipher = await fields.forPatient(tx, actor.orgId, patientId);
    const running = await findActiveGrant(tx, actor.orgId, patientId, actor.membershipId, now);
    if (running) return { grant: presentGrant(running, cipher), created: false, mails: [] };

    const minutes = await breakGlassMinutesOf(tx, actor.orgId);
    const id = newId();
    const row: GrantRow = {
      id,
      patientId,
      reasonCode: input.reasonCode,
      // Free text may hold health data: sealed under the patient's own key, bound to this row.
      reasonText: input.reasonText ? cipher.seal(reasonPlace(id), input.reasonText) : null,
      grantedAt: now,
      expiresAt: new Date(now.getTime() + minutes * 60_000),
      endedAt: null,
    };
    await insertGrant(tx, actor.orgId, { ...row, membershipId: actor.membershipId, accountId: actor.accountId });
    await appendAudit(tx, actor.orgId, auditMeta(ctx, now), careTeamEvent({ action: 'break_glass.granted', outcome: 'success', resourceType: 'break_glass_grant', resourceId: id, patientId, reason: input.reasonCode }));
    const mails = [...(await careTeamAlerts(ctx, tx, actor.orgId, patientId)), ...(await patientBreakGlassAlerts(ctx, tx, actor.orgId, patientId))];
    return { grant: presentGrant(row, cipher), created: true, mails };
  });
  if ('refused' in outcome) throw outcome.refused;
  sendAfterCommit(mailer, ctx.log, outcome.mails);
  return { grant: outcome.grant, created: outcome.created };
}

/** Ends the caller's own running grant for the patient early; 404 when there is none. */
export async function endBreakGlass(ctx: RequestContext, input: { unverifiedPatientId: string }): Promise<void> {
  const actor = memberOf(ctx);
  const { db, clock } = ctx.services;
  const now = clock.now();
  await db.tenant(actor.orgId, async (tx) => {
    const facts = await loadPatientFacts(tx, actor, input.unverifiedPatientId, now);
    if (!facts.exists || facts.erased) throw new AppError('PATIENT_NOT_FOUND');
    const ended = await endActiveGrants(tx, actor.orgId, input.unverifiedPatientId, actor.membershipId, now);
    if (ended.length === 0) throw new AppError('NOT_FOUND', { internal: 'no running break-the-glass grant of this member for this patient' });
    for (const grantId of ended) {
      await appendAudit(tx, actor.orgId, auditMeta(ctx, now), careTeamEvent({ action: 'break_glass.ended', outcome: 'success', resourceType: 'break_glass_grant', resourceId: grantId, patientId: input.unverifiedPatientId }));
    }
  });
}
