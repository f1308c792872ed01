import type { AcceptPatientInvitationRequest, PatientInvitationPreview, PatientInvitationRequest, PatientPortalStatus } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { patientAuditFields, withPatientAccess } from '../../core/authz/authorize.ts';
import { auditMeta, type RequestContext } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { sendAfterCommit } from '../../core/mail/mailer.ts';
import { renderMail } from '../../core/mail/templates.ts';
import { consumeActionToken, issueActionToken, peekActionToken, tokenEmail, voidActionTokenById } from '../../core/security/action-tokens.ts';
import { newId } from '../../core/security/tokens.ts';
import { assertPasswordAllowed } from '../accounts/password-policy.ts';
import { findAccountByEmail, findAccountById, insertAccount } from '../accounts/repository.ts';
import { checkAccountPassword, reportLockout } from '../auth/password-check.ts';
import { findOrganisation } from '../organisations/repository.ts';
import { readPatient } from '../patients/repository.ts';
import { patientAccountEvent } from './audit.ts';
import {
  findOpenPatientInvitation,
  findPatientAccountByAccount,
  findPatientAccountOfPatient,
  findPatientInvitationByToken,
  insertPatientAccount,
  insertPatientInvitation,
  isStaffOf,
  markPatientInvitation,
  patientInvitationEmail,
} from './repository.ts';

/*
 * The only way a patient account comes to be (issue 5 §2): someone of the practice with
 * `patient:invite` sends an invitation to the patient's address; the link (7 days, single use)
 * lets the patient set a password — or, with an existing Haven account, prove it — and creates
 * the patient's portal account. Audited with the patient's id at each step.
 */

/** Whether the patient has portal access, or an invitation under way (the patient page shows it). */
export async function portalStatus(ctx: RequestContext, unverifiedPatientId: string): Promise<PatientPortalStatus> {
  const { fields, clock } = ctx.services;
  return withPatientAccess(ctx, { unverifiedPatientId, resource: 'patient', action: 'read' }, async (tx, patient) => {
    const orgId = ctx.principal!.orgId!;
    const account = await findPatientAccountOfPatient(tx, orgId, patient.patientId);
    const invitation = account ? undefined : await findOpenPatientInvitation(tx, orgId, patient, clock.now());
    const inviter = invitation ? await findAccountById(tx, fields, invitation.invitedByAccountId) : undefined;
    return {
      account: account ? { status: account.status, createdAt: account.createdAt.toISOString() } : null,
      invitation: invitation
        ? { id: invitation.id, email: await patientInvitationEmail(tx, fields, invitation), createdAt: invitation.createdAt.toISOString(), expiresAt: invitation.expiresAt.toISOString(), invitedBy: inviter?.name ?? '' }
        : null,
    };
  });
}

export async function invitePatient(ctx: RequestContext, unverifiedPatientId: string, input: PatientInvitationRequest): Promise<PatientPortalStatus> {
  const { fields, clock, config, mailer } = ctx.services;
  const now = clock.now();
  const { status, mail } = await withPatientAccess(ctx, { unverifiedPatientId, resource: 'patient', action: 'invite' }, async (tx, patient) => {
    const orgId = ctx.principal!.orgId!;
    if (await findPatientAccountOfPatient(tx, orgId, patient.patientId)) throw new AppError('PATIENT_ALREADY_IN_PORTAL');
    if (await findOpenPatientInvitation(tx, orgId, patient, now)) throw new AppError('PATIENT_INVITATION_PENDING');
    const record = await readPatient(tx, fields, orgId, patient);
    const email = input.email ?? record.details.contact.email;
    if (!email) throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'email', issue: 'required: the patient has no e-mail address' }] });
    // Someone who works here cannot also be a patient here with the same account (one principal per session).
    const existing = await findAccountByEmail(tx, fields, email);
    if (existing && (await isStaffOf(tx, orgId, existing.id))) throw new AppError('PATIENT_ACCOUNT_CONFLICT');
    const link = await issueActionToken(tx, { purpose: 'patient_invitation', orgId, email, now }, fields);
    const id = newId();
    await insertPatientInvitation(tx, fields, { orgId, id, patientId: patient.patientId, email, invitedByAccountId: ctx.principal!.accountId, tokenId: link.id, createdAt: now, expiresAt: link.expiresAt });
    await appendAudit(tx, orgId, auditMeta(ctx, now), patientAccountEvent({ action: 'patient.invited', outcome: 'success', resourceType: 'patient_invitation', resourceId: id, ...patientAuditFields(patient) }));
    const org = await findOrganisation(tx, fields, orgId);
    const inviter = await findAccountById(tx, fields, ctx.principal!.accountId);
    return {
      status: { account: null, invitation: { id, email, createdAt: now.toISOString(), expiresAt: link.expiresAt.toISOString(), invitedBy: inviter?.name ?? '' } },
      mail: renderMail('patient_invitation', existing?.locale ?? input.locale, email, { organisation: org?.name ?? '' }, `${config.publicUrl}/accept-patient-invitation#token=${link.token}`),
    };
  });
  sendAfterCommit(mailer, ctx.log, [mail]);
  return status;
}

export async function revokePatientInvitation(ctx: RequestContext, unverifiedPatientId: string): Promise<void> {
  const now = ctx.services.clock.now();
  await withPatientAccess(ctx, { unverifiedPatientId, resource: 'patient', action: 'invite' }, async (tx, patient) => {
    const orgId = ctx.principal!.orgId!;
    const invitation = await findOpenPatientInvitation(tx, orgId, patient, now);
    if (!invitation || !(await markPatientInvitation(tx, invitation.id, { revokedAt: now }))) throw new AppError('INVITATION_NOT_FOUND');
    await voidActionTokenById(tx, invitation.tokenId, now);
    await appendAudit(tx, orgId, auditMeta(ctx, now), patientAccountEvent({ action: 'patient.invitation_revoked', outcome: 'success', resourceType: 'patient_invitation', resourceId: invitation.id, ...patientAuditFields(patient) }));
  });
}

/** What the invitation page shows before the patient accepts (no health data: practice name and address only). */
export async function previewPatientInvitation(ctx: RequestContext, input: { token: string }): Promise<PatientInvitationPreview> {
  const { db, clock, fields } = ctx.services;
  const now = clock.now();
  const token = await db.identity((tx) => peekActionToken(tx, 'patient_invitation', input.token, now));
  if (!token?.orgId) throw new AppError('TOKEN_INVALID');
  const orgId = token.orgId;
  return db.tenant(orgId, async (tx) => {
    const invitation = await findPatientInvitationByToken(tx, token.id);
    const org = await findOrganisation(tx, fields, orgId);
    if (!invitation || invitation.revokedAt || invitation.acceptedAt || !org) throw new AppError('TOKEN_INVALID');
    const email = await patientInvitationEmail(tx, fields, invitation);
    const account = await findAccountByEmail(tx, fields, email);
    return { organisationName: org.name, email, accountExists: Boolean(account), passwordPolicy: { mode: org.passwordPolicyMode, minLength: org.passwordMinLength } };
  });
}

/**
 * Accepts a patient invitation. A person who already has a Haven account proves it with their
 * password (failures count toward their lockout); a new person gives the name their account
 * shows and sets a password under the practice's policy, the link itself proving their address.
 * Nothing of the patient's record is read here: the link holder is not signed in yet.
 */
export async function acceptPatientInvitation(ctx: RequestContext, input: AcceptPatientInvitationRequest): Promise<void> {
  const { db, clock, hasher, fields } = ctx.services;
  const now = clock.now();
  const peeked = await db.identity((tx) => peekActionToken(tx, 'patient_invitation', input.token, now));
  const email = peeked ? await db.identity((tx) => tokenEmail(tx, fields, peeked)) : null;
  if (!peeked?.orgId || !email) throw new AppError('TOKEN_INVALID');
  const orgId = peeked.orgId;
  const existing = await db.identity((tx) => findAccountByEmail(tx, fields, email));
  let passwordHash: string | null = null;
  if (existing) {
    const check = await checkAccountPassword(ctx.services, existing, input.password);
    if (!check.ok) {
      await reportLockout(ctx, existing, check);
      throw new AppError('AUTH_INVALID_CREDENTIALS', { internal: `patient invitation: ${check.why}` });
    }
  } else {
    if (!input.name) throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'name', issue: 'required for a new account' }] });
    const org = await db.tenant(orgId, (tx) => findOrganisation(tx, fields, orgId));
    if (!org) throw new AppError('TOKEN_INVALID');
    assertPasswordAllowed(input.password, { mode: org.passwordPolicyMode, minLength: org.passwordMinLength }, [input.name, email, org.name]);
    passwordHash = await hasher.hash(input.password);
  }
  await db.tenant(orgId, async (tx) => {
    const token = await consumeActionToken(tx, 'patient_invitation', input.token, now);
    const invitation = token ? await findPatientInvitationByToken(tx, token.id) : undefined;
    if (!invitation) throw new AppError('TOKEN_INVALID');
    const accountId = existing?.id ?? newId();
    if (existing && ((await isStaffOf(tx, orgId, accountId)) || (await findPatientAccountByAccount(tx, orgId, accountId)))) throw new AppError('PATIENT_ACCOUNT_CONFLICT');
    if (await findPatientAccountOfPatient(tx, orgId, invitation.patientId)) throw new AppError('PATIENT_ALREADY_IN_PORTAL');
    if (!existing) {
      await insertAccount(tx, fields, {
        id: accountId,
        email,
        emailVerifiedAt: now,
        name: input.name!,
        phone: null,
        profession: null,
        locale: input.locale ?? 'en',
        passwordHash: passwordHash!,
        passwordChangedAt: now,
        createdAt: now,
        updatedAt: now,
      });
    }
    if (!(await markPatientInvitation(tx, invitation.id, { acceptedAt: now, acceptedAccountId: accountId }))) throw new AppError('TOKEN_INVALID');
    await insertPatientAccount(tx, { orgId, id: newId(), patientId: invitation.patientId, accountId, status: 'active', createdAt: now });
    await appendAudit(
      tx,
      orgId,
      { ...auditMeta(ctx, now), actorAccountId: accountId, actorRole: 'patient' },
      patientAccountEvent({ action: 'patient.portal_joined', outcome: 'success', resourceType: 'patient_invitation', resourceId: invitation.id, patientId: invitation.patientId }),
    );
  });
}
