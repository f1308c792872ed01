import { defaultAllowedFactors, Factor, strongFactors, type SecondFactorMethod } from '@haven/contracts';
import type { RequestContext } from '../../core/context.ts';
import { AppError } from '../../core/errors.ts';
import { activeMembershipsOfAccount, type MembershipWithOrganisation } from '../accounts/repository.ts';

/**
 * Which kinds of second factor a person may use: those every one of their practices allows (one
 * identity, the strictest rule — like `secondFactorRequired`). Each practice keeps a passkey or
 * the authenticator app allowed, but two practices may keep different ones (one only passkeys,
 * the other only the app): then the intersection would hold out-of-band codes at best, and the
 * person could satisfy neither. In that case the strong kinds any of them allows are added back —
 * never a weaker factor than one practice asks for, and nobody locked out by a combination of
 * policies. A portal account counts like a membership with the practice's *patient* list (and its
 * patient requirement): a person who is only a patient follows the patients' rules; a person who
 * is staff somewhere and a patient elsewhere is still one identity with one set of factors, so
 * the strictest of all their practices' rules applies to both of their sessions.
 */
export function allowedFactorsOf(memberships: ReadonlyArray<Pick<MembershipWithOrganisation, 'allowedFactors'>>): Factor[] {
  if (memberships.length === 0) return [...defaultAllowedFactors.staff];
  const all = Factor.options;
  const common = all.filter((kind) => memberships.every((m) => m.allowedFactors.includes(kind)));
  if (common.some((kind) => strongFactors.includes(kind))) return common;
  const strongSomewhere = strongFactors.filter((kind) => memberships.some((m) => m.allowedFactors.includes(kind)));
  return all.filter((kind) => common.includes(kind) || strongSomewhere.includes(kind));
}

/** The person's factor rules: is a second factor required, and which kinds may they use. */
export async function factorRulesOf(ctx: RequestContext, accountId: string): Promise<{ required: boolean; allowed: Factor[] }> {
  const memberships = await ctx.services.db.systemDb((tx) => activeMembershipsOfAccount(tx, ctx.services.fields, accountId));
  return { required: memberships.some((m) => m.secondFactorRequired), allowed: allowedFactorsOf(memberships) };
}

/** Refuses setting up a kind of factor one of the person's practices does not allow. */
export async function assertFactorAllowed(ctx: RequestContext, accountId: string, kind: Factor): Promise<void> {
  const { allowed } = await factorRulesOf(ctx, accountId);
  if (!allowed.includes(kind)) throw new AppError('FACTOR_NOT_ALLOWED', { internal: `${kind} is not allowed by the practice policy` });
}

/** Whether a sign-in method is usable under the allowed kinds (recovery codes go with the others). */
export const methodAllowed = (method: SecondFactorMethod, allowed: readonly Factor[]): boolean => method === 'recovery_code' || allowed.includes(method);
