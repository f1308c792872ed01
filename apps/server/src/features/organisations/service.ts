import { Factor, strongFactors, type AllowedFactors, type SecurityPolicy } from '@haven/contracts';
import { appendAudit } from '../../core/audit/record.ts';
import { auditMeta, memberOf, type RequestContext } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { allowedBy, parseRange } from '../../core/security/ip-allowlist.ts';
import { organisationEvent } from './audit.ts';
import { applyIdleTimeoutToOpenSessions, findOrganisation, updateOrganisation, type OrganisationRow } from './repository.ts';

const present = (row: OrganisationRow) => ({
  id: row.id,
  name: row.name,
  street: row.street ?? '',
  postalCode: row.postalCode ?? '',
  city: row.city ?? '',
  country: row.country,
  kind: row.kind as 'psychotherapy' | 'general_practice' | 'physiotherapy' | 'specialist' | 'other',
  companyName: row.companyName,
  registrationNumber: row.registrationNumber,
  termsVersion: row.termsVersion,
  termsAcceptedAt: row.termsAcceptedAt.toISOString(),
  dpaVersion: row.dpaVersion,
  dpaAcceptedAt: row.dpaAcceptedAt.toISOString(),
});

export async function getOrganisation(ctx: RequestContext) {
  const { orgId } = memberOf(ctx);
  const row = await ctx.services.db.tenant(orgId, (tx) => findOrganisation(tx, ctx.services.fields, orgId));
  if (!row) throw new AppError('NOT_FOUND');
  return present(row);
}

type OrganisationChanges = Partial<Pick<OrganisationRow, 'name' | 'street' | 'postalCode' | 'city' | 'country' | 'kind' | 'companyName' | 'registrationNumber'>>;

export async function changeOrganisation(ctx: RequestContext, changes: OrganisationChanges) {
  const member = memberOf(ctx);
  const now = ctx.services.clock.now();
  return ctx.services.db.tenant(member.orgId, async (tx) => {
    const row = await findOrganisation(tx, ctx.services.fields, member.orgId);
    if (!row) throw new AppError('NOT_FOUND');
    const changed = (Object.keys(changes) as Array<keyof OrganisationChanges>).filter((key) => changes[key] !== undefined && (changes[key] || null) !== (row[key] || null));
    if (changed.length > 0) {
      const values = Object.fromEntries(changed.map((key) => [key, changes[key] || null]));
      await updateOrganisation(tx, ctx.services.fields, member.orgId, { ...values, updatedAt: now });
      await appendAudit(tx, member.orgId, auditMeta(ctx, now), organisationEvent({ action: 'org.updated', outcome: 'success', resourceType: 'organisation', resourceId: member.orgId, changedFields: changed }));
    }
    return present({ ...row, ...Object.fromEntries(changed.map((key) => [key, changes[key] || null])) } as OrganisationRow);
  });
}

export async function getSecurityPolicy(ctx: RequestContext): Promise<SecurityPolicy> {
  const { orgId } = memberOf(ctx);
  const row = await ctx.services.db.tenant(orgId, (tx) => findOrganisation(tx, ctx.services.fields, orgId));
  if (!row) throw new AppError('NOT_FOUND');
  return { password: { mode: row.passwordPolicyMode, minLength: row.passwordMinLength }, idleTimeoutMinutes: row.idleTimeoutMinutes, secondFactorRequired: row.secondFactorRequired, patientSecondFactorRequired: row.patientSecondFactorRequired, ipAllowlist: row.ipAllowlist, trustedDeviceHours: row.trustedDeviceHours, allowedFactors: { staff: row.allowedStaffFactors, patients: row.allowedPatientFactors }, breakGlassMinutes: row.breakGlassMinutes };
}

/**
 * The factor lists as stored: in the catalogue's order, and each keeping a passkey or the app —
 * out-of-band codes alone (SMS, e-mail) are not enough (ASVS 6.6.1; docs/authentication.md).
 */
function checkAllowedFactors(lists: AllowedFactors): AllowedFactors {
  const weak = (['staff', 'patients'] as const).filter((who) => !lists[who].some((kind) => strongFactors.includes(kind)));
  if (weak.length > 0) throw new AppError('FACTOR_POLICY_NEEDS_STRONG_FACTOR', { fields: weak.map((who) => ({ path: `allowedFactors.${who}`, issue: 'Allow passkeys or the authenticator app.' })) });
  const ordered = (list: readonly Factor[]) => Factor.options.filter((kind) => list.includes(kind));
  return { staff: ordered(lists.staff), patients: ordered(lists.patients) };
}

/**
 * The allowlist as stored: each entry a valid range with its prefix spelled out (a single address
 * becomes `/32` or `/128`, IPv6 lower-cased), duplicates dropped, order kept. Host bits are kept
 * as typed (`net.BlockList` ignores them when matching). Every bad entry is named, so the form
 * can mark each one.
 */
function normaliseAllowlist(entries: readonly string[]): string[] {
  const problems: Array<{ path: string; issue: string }> = [];
  const ranges: string[] = [];
  entries.forEach((entry, index) => {
    const parsed = parseRange(entry);
    if (!parsed) problems.push({ path: `ipAllowlist.${index}`, issue: 'Not an IPv4 or IPv6 address or CIDR range (e.g. 192.0.2.0/24, 2001:db8::/48).' });
    else if (!ranges.includes(parsed.cidr)) ranges.push(parsed.cidr);
  });
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', { fields: problems });
  return ranges;
}

/** Changes the security policy; a new idle limit applies to the practice's open sessions at once. */
export async function changeSecurityPolicy(ctx: RequestContext, policy: SecurityPolicy): Promise<SecurityPolicy> {
  const member = memberOf(ctx);
  const now = ctx.services.clock.now();
  let result = policy;
  await ctx.services.db.tenant(member.orgId, async (tx) => {
    const row = await findOrganisation(tx, ctx.services.fields, member.orgId);
    if (!row) throw new AppError('NOT_FOUND');
    const changed: string[] = [];
    if (row.passwordPolicyMode !== policy.password.mode) changed.push('password.mode');
    if (row.passwordMinLength !== policy.password.minLength) changed.push('password.minLength');
    if (row.idleTimeoutMinutes !== policy.idleTimeoutMinutes) changed.push('idleTimeoutMinutes');
    const secondFactorRequired = policy.secondFactorRequired ?? row.secondFactorRequired;
    if (row.secondFactorRequired !== secondFactorRequired) changed.push('secondFactorRequired');
    // Patients who then have no second factor set one up at their next sign-in, as staff do.
    const patientSecondFactorRequired = policy.patientSecondFactorRequired ?? row.patientSecondFactorRequired;
    if (row.patientSecondFactorRequired !== patientSecondFactorRequired) changed.push('patientSecondFactorRequired');
    const ipAllowlist = policy.ipAllowlist === undefined ? row.ipAllowlist : normaliseAllowlist(policy.ipAllowlist);
    if (ipAllowlist.join(',') !== row.ipAllowlist.join(',')) {
      changed.push('ipAllowlist');
      // Locking oneself out is one click away; it needs saying "yes, I mean it".
      if (!allowedBy(ipAllowlist, ctx.ip) && !policy.acknowledgeOwnAddressExcluded) throw new AppError('IP_ALLOWLIST_EXCLUDES_YOU');
    }
    const trustedDeviceHours = policy.trustedDeviceHours ?? row.trustedDeviceHours;
    if (row.trustedDeviceHours !== trustedDeviceHours) changed.push('trustedDeviceHours');
    // Who then holds only factors of a kind no longer allowed sets up an allowed one at the next
    // sign-in (login-service: enrolment), and cannot remove the last allowed one meanwhile.
    const allowedFactors = policy.allowedFactors === undefined ? { staff: row.allowedStaffFactors, patients: row.allowedPatientFactors } : checkAllowedFactors(policy.allowedFactors);
    if (allowedFactors.staff.join(',') !== row.allowedStaffFactors.join(',')) changed.push('allowedFactors.staff');
    if (allowedFactors.patients.join(',') !== row.allowedPatientFactors.join(',')) changed.push('allowedFactors.patients');
    const breakGlassMinutes = policy.breakGlassMinutes ?? row.breakGlassMinutes;
    if (row.breakGlassMinutes !== breakGlassMinutes) changed.push('breakGlassMinutes');
    result = { password: policy.password, idleTimeoutMinutes: policy.idleTimeoutMinutes, secondFactorRequired, patientSecondFactorRequired, ipAllowlist, trustedDeviceHours, allowedFactors, breakGlassMinutes };
    if (changed.length === 0) return;
    await updateOrganisation(tx, ctx.services.fields, member.orgId, {
      passwordPolicyMode: policy.password.mode,
      passwordMinLength: policy.password.minLength,
      idleTimeoutMinutes: policy.idleTimeoutMinutes,
      secondFactorRequired,
      patientSecondFactorRequired,
      ipAllowlist,
      trustedDeviceHours,
      allowedStaffFactors: allowedFactors.staff,
      allowedPatientFactors: allowedFactors.patients,
      // A grant keeps the length it was given; the new length applies to the next one.
      breakGlassMinutes,
      updatedAt: now,
    });
    if (changed.includes('idleTimeoutMinutes')) await applyIdleTimeoutToOpenSessions(tx, member.orgId, policy.idleTimeoutMinutes * 60, now);
    await appendAudit(tx, member.orgId, auditMeta(ctx, now), organisationEvent({ action: 'policy.changed', outcome: 'success', resourceType: 'organisation', resourceId: member.orgId, changedFields: changed }));
  });
  return result;
}
