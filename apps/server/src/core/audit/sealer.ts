import { and, asc, desc, eq, gt, notExists, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Database, Tx } from '../db/database.ts';
import { auditChain, auditCheckpoints, auditEvents } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import { chainHash, checkpointMessage, genesisHash } from './hash-chain.ts';
import type { AuditSigner } from './signing-key.ts';

/**
 * How long after its time a record may still be chained. Requests finish well within it; a
 * record older than this that is not in the chain was put there behind the sealer's back, and
 * `haven audit verify` names it.
 */
export const sealGraceMs = 5 * 60_000;

const unsealed = (tx: Tx) =>
  notExists(
    tx
      .select({ one: sql`1` })
      .from(auditChain)
      .where(and(eq(auditChain.orgId, auditEvents.orgId), eq(auditChain.eventId, auditEvents.id))),
  );

/**
 * Chains each organisation's new audit records in id order shortly after they commit, and signs a
 * checkpoint of the new head. Requests only INSERT their record, so a busy practice never
 * queues on one chain row; the sealer does the sequential part on its own.
 */
export class AuditSealer {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<number> | null = null;

  constructor(
    private readonly db: Database,
    private readonly signer: AuditSigner,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.sealOnce().catch((error: unknown) => this.logger.error({ err: error }, 'audit sealer run failed'));
    }, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  /** One pass over every organisation with unsealed records; returns how many were chained. */
  sealOnce(): Promise<number> {
    // Never two passes at once in one process; across processes the advisory lock decides.
    this.#running ??= this.#pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #pass(): Promise<number> {
    const since = new Date(this.clock.now().getTime() - sealGraceMs);
    const orgs = await this.db.systemDb((tx) =>
      tx
        .selectDistinct({ orgId: auditEvents.orgId })
        .from(auditEvents)
        .where(and(gt(auditEvents.occurredAt, since), unsealed(tx))),
    );
    let total = 0;
    for (const { orgId } of orgs) total += await this.sealOrganisation(orgId, since);
    return total;
  }

  private sealOrganisation(orgId: string, since: Date): Promise<number> {
    return this.db.tenant(orgId, async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(4242002, hashtext(${orgId}))`);
      const [head] = await tx
        .select({ seq: auditChain.seq, hash: auditChain.hash })
        .from(auditChain)
        .orderBy(desc(auditChain.seq))
        .limit(1);
      const rows = await tx
        .select()
        .from(auditEvents)
        .where(and(gt(auditEvents.occurredAt, since), unsealed(tx)))
        .orderBy(asc(auditEvents.id))
        .limit(5000);
      if (rows.length === 0) return 0;
      let seq = head?.seq ?? 0;
      let previous = head?.hash ?? genesisHash;
      const sealedAt = this.clock.now();
      const links = rows.map((row) => {
        seq += 1;
        const hash = chainHash(previous, row);
        const link = { orgId, seq, eventId: row.id, prevHash: previous, hash, sealedAt };
        previous = hash;
        return link;
      });
      for (let i = 0; i < links.length; i += 500) await tx.insert(auditChain).values(links.slice(i, i + 500));
      const signature = this.signer.sign(checkpointMessage(orgId, seq, previous, sealedAt));
      await tx
        .insert(auditCheckpoints)
        .values({ orgId, seq, headHash: previous, signedAt: sealedAt, keyId: this.signer.keyId, signature });
      return rows.length;
    });
  }
}
