import type { MembershipRole, Permission } from '@haven/contracts';
import type { AuditMeta } from './audit/record.ts';
import type { AuditSealer } from './audit/sealer.ts';
import type { AuditSigner } from './audit/signing-key.ts';
import type { BlobStore } from './blobs/blob-store.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { SessionPending } from './db/schema.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from './logger.ts';
import type { ErasureLedgerFile } from './crypto/erasure.ts';
import type { FieldCrypto } from './crypto/field-crypto.ts';
import type { KeyRing } from './crypto/key-ring.ts';
import type { Mailer } from './mail/mailer.ts';
import type { PasswordHasher } from './security/password-hashing.ts';
import type { CountryLookup } from './security/geo.ts';
import type { SmsGateway } from './sms/sms-message.ts';

/** What the whole server shares; built once in app.ts and passed in, never imported as a global. */
export interface Services {
  readonly config: Config;
  readonly db: Database;
  readonly clock: Clock;
  readonly mailer: Mailer;
  /** Text messages: the outbox by default, or an HTTP provider (core/sms). */
  readonly sms: SmsGateway;
  /** Offline IP → country lookup, opened once at start (core/security/geo.ts). */
  readonly geo: CountryLookup;
  readonly hasher: PasswordHasher;
  readonly logger: Logger;
  readonly signer: AuditSigner;
  readonly sealer: AuditSealer;
  /** The key hierarchy below the master key (docs/encryption.md). */
  readonly keys: KeyRing;
  /** Seals and opens personal fields; blind indexes for lookups. */
  readonly fields: FieldCrypto;
  /** Encrypted file contents; callers encrypt and decrypt through core/files. */
  readonly blobs: BlobStore;
  /** The erasure ledger file (outside database backups). */
  readonly erasureLedger: ErasureLedgerFile;
}

/** The signed-in party of a request, as the session and a fresh membership lookup say. */
export interface Principal {
  readonly sessionId: string;
  readonly accountId: string;
  /** Verified: the session chose it and an active membership (or, for a patient, portal account) was found this request. */
  readonly orgId: string | null;
  /** A built-in role, or 'custom' with `customRoleId` (one of the practice's own roles); null for a patient. */
  readonly role: MembershipRole | null;
  readonly customRoleId: string | null;
  readonly membershipId: string | null;
  /** What the member's role allows in `orgId` (empty without a membership, and always for a patient); read fresh each request. */
  readonly permissions: ReadonlySet<Permission>;
  /** Staff of `orgId`, a patient of `orgId` in the portal, or neither yet (no organisation chosen). */
  readonly kind: 'staff' | 'patient' | null;
  /** For a patient in the portal: which patient they are (from their portal account, never from input). */
  readonly patientId: string | null;
  readonly idleTimeoutSeconds: number;
  readonly absoluteExpiresAt: Date;
  readonly lastActiveAt: Date;
  /** The sign-in step this session still owes (null: none). */
  readonly pending: SessionPending | null;
  /** The last proof with the account's strongest factor (for step-up). */
  readonly reauthenticatedAt: Date | null;
}

/**
 * One request's context: ids, where it came from, who is asking, and the shared services.
 * Handlers pass it to use cases (`changePassword(ctx, {...})`) and never read headers themselves.
 */
export interface RequestContext {
  readonly services: Services;
  readonly requestId: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly principal: Principal | null;
  /** The session as the guard found it: none, idle-locked, or active. */
  readonly sessionState: 'none' | 'locked' | 'active';
  /** The raw session token of this request (only to bind new tokens); never logged. */
  readonly sessionToken: string | null;
  /** The browser's device cookie (features/devices), when it sent a well-formed one; never logged. */
  readonly deviceToken?: string | null;
  readonly log: FastifyBaseLogger;
}

export function auditMeta(ctx: RequestContext, now: Date = ctx.services.clock.now()): AuditMeta {
  return {
    now,
    requestId: ctx.requestId,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    actorAccountId: ctx.principal?.accountId ?? null,
    actorRole: actorRoleOf(ctx.principal),
  };
}

/**
 * How the audit trail (and a dossier entry's author) names the principal's role: the built-in
 * name, 'patient' for a patient in the portal, or `custom:<roleId>` — the id, because a custom role's name can change or the role be
 * deleted, and the record must keep saying which role it was.
 */
export function actorRoleOf(principal: Pick<Principal, 'role' | 'customRoleId'> & { readonly kind?: Principal['kind'] } | null): string | null {
  if (principal?.kind === 'patient') return 'patient';
  if (!principal?.role) return null;
  return principal.role === 'custom' ? `custom:${principal.customRoleId ?? 'unknown'}` : principal.role;
}

/** The principal of a route that the access guard let through with an organisation. */
export function memberOf(ctx: RequestContext): Principal & { orgId: string; role: MembershipRole; membershipId: string } {
  const principal = ctx.principal;
  if (!principal?.orgId || !principal.role || !principal.membershipId || principal.kind !== 'staff') {
    throw new Error('memberOf() used on a route whose access level does not require an organisation');
  }
  return principal as Principal & { orgId: string; role: MembershipRole; membershipId: string };
}

/** The principal of a `patient` route: a patient of `orgId`, signed in to its portal. */
export function patientOf(ctx: RequestContext): Principal & { orgId: string; kind: 'patient'; patientId: string } {
  const principal = ctx.principal;
  if (!principal?.orgId || principal.kind !== 'patient' || !principal.patientId) {
    throw new Error('patientOf() used on a route whose access level is not patient');
  }
  return principal as Principal & { orgId: string; kind: 'patient'; patientId: string };
}

/** Whether the principal's role in the chosen organisation holds `permission`. */
export const holds = (principal: Principal | null, permission: Permission): boolean => principal?.permissions.has(permission) ?? false;

export function signedIn(ctx: RequestContext): Principal {
  if (!ctx.principal) throw new Error('signedIn() used on a public route');
  return ctx.principal;
}
