import { currentDpaVersion, currentTermsVersion, defaultSecurityPolicy, type SignupRequest } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { auditMeta, type RequestContext } from '../../core/context.ts';
import { platformOrgId } from '../../core/db/database.ts';
import { memberships } from '../../core/db/schema.ts';
import { insertOrganisation } from '../organisations/repository.ts';
import { AppError } from '../../core/errors.ts';
import { sendAfterCommit, type OutgoingMail } from '../../core/mail/mailer.ts';
import { renderMail } from '../../core/mail/templates.ts';
import { consumeActionToken, issueActionToken, peekActionToken } from '../../core/security/action-tokens.ts';
import { newId } from '../../core/security/tokens.ts';
import { assertPasswordAllowed } from '../accounts/password-policy.ts';
import { findAccountByEmail, findAccountById, insertAccount, updateAccount } from '../accounts/repository.ts';
import { authEvent } from './audit.ts';

/**
 * A practice signs up: organisation, owner account, owner membership, the accepted terms and
 * data-processing agreement (which version, when), and a verification link to the owner.
 * If the e-mail address already has an account the answer is the same and that person is told
 * by mail instead, so sign-up reveals no accounts (ASVS 6.3.8).
 */
export async function signUp(ctx: RequestContext, input: SignupRequest): Promise<void> {
  const { db, hasher, clock, mailer, config } = ctx.services;
  if (input.termsVersion !== currentTermsVersion || input.dpaVersion !== currentDpaVersion) {
    throw new AppError('VALIDATION_FAILED', { fields: [{ path: 'termsVersion', issue: 'the terms or data-processing agreement changed; reload the page' }] });
  }
  assertPasswordAllowed(input.owner.password, defaultSecurityPolicy.password, [
    input.owner.name,
    input.owner.email,
    input.organisation.name,
  ]);
  // Hash first, always: skipping it for an existing address would reveal the account by timing.
  const passwordHash = await hasher.hash(input.owner.password);
  const now = clock.now();
  const orgId = newId();
  const accountId = newId();

  const mail: OutgoingMail = await db.tenant(orgId, async (tx) => {
    const existing = await findAccountByEmail(tx, ctx.services.fields, input.owner.email);
    if (existing) {
      return renderMail('signup_exists', existing.locale, existing.email, { name: existing.name }, `${config.publicUrl}/login`);
    }
    await insertAccount(tx, ctx.services.fields, {
      id: accountId,
      email: input.owner.email,
      name: input.owner.name,
      phone: input.owner.phone,
      profession: input.owner.profession,
      locale: input.owner.locale,
      passwordHash,
      passwordChangedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    const org = input.organisation;
    // The practice's row, then its own key, then its contact details sealed under that key.
    await insertOrganisation(tx, ctx.services.fields, () => ctx.services.keys.createOrganisationKey(tx, orgId, now), {
      id: orgId,
      name: org.name,
      street: org.street,
      postalCode: org.postalCode,
      city: org.city,
      country: org.country,
      kind: org.kind,
      companyName: org.companyName || null,
      registrationNumber: org.registrationNumber || null,
      termsVersion: input.termsVersion,
      termsAcceptedAt: now,
      dpaVersion: input.dpaVersion,
      dpaAcceptedAt: now,
      acceptedByAccountId: accountId,
      passwordPolicyMode: defaultSecurityPolicy.password.mode,
      passwordMinLength: defaultSecurityPolicy.password.minLength,
      idleTimeoutMinutes: defaultSecurityPolicy.idleTimeoutMinutes,
      secondFactorRequired: defaultSecurityPolicy.secondFactorRequired ?? true,
      createdAt: now,
      updatedAt: now,
    });
    await tx.insert(memberships).values({ orgId, id: newId(), accountId, role: 'owner', status: 'active', createdAt: now });
    await appendAudit(tx, orgId, { ...auditMeta(ctx, now), actorAccountId: accountId, actorRole: 'owner' }, authEvent({
      action: 'org.signed_up',
      outcome: 'success',
      resourceType: 'organisation',
      resourceId: orgId,
    }));
    const link = await issueActionToken(tx, { purpose: 'verify_email', accountId, orgId, now });
    return renderMail(
      'verify_email',
      input.owner.locale,
      input.owner.email,
      { name: input.owner.name, organisation: org.name },
      `${config.publicUrl}/verify-email#token=${link.token}`,
    );
  });
  sendAfterCommit(mailer, ctx.log, [mail]);
}

/** Confirms the owner's address with the single-use link (24 h); token and change commit together. */
export async function verifyEmail(ctx: RequestContext, input: { token: string }): Promise<void> {
  const { db, clock } = ctx.services;
  const now = clock.now();
  const peeked = await db.identity((tx) => peekActionToken(tx, 'verify_email', input.token, now));
  if (!peeked?.accountId) throw new AppError('TOKEN_INVALID');
  const orgId = peeked.orgId ?? platformOrgId;
  await db.tenant(orgId, async (tx) => {
    const token = await consumeActionToken(tx, 'verify_email', input.token, now);
    const account = token?.accountId ? await findAccountById(tx, ctx.services.fields, token.accountId) : undefined;
    if (!account) throw new AppError('TOKEN_INVALID');
    if (!account.emailVerifiedAt) await updateAccount(tx, ctx.services.fields, account.id, { emailVerifiedAt: now, updatedAt: now });
    await appendAudit(tx, orgId, { ...auditMeta(ctx, now), actorAccountId: account.id }, authEvent({
      action: 'account.email_verified',
      outcome: 'success',
      resourceType: 'account',
      resourceId: account.id,
    }));
  });
}
