import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import pg from 'pg';
import { isRegisteredDbFunction, type DbFunction } from './functions.ts';
import { DataDirLock } from './lock-file.ts';
import { migratePglite, migratePostgres } from './migrate.ts';
import { Mutex } from './mutex.ts';
import { schema } from './schema.ts';

export type Schema = typeof schema;
/** A transaction handle; every query of a use case runs on one. */
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/** The role requests run as; it owns no table and is bound by row-level security. */
export const requestRole = 'haven_app';
/** The audit chain of events that belong to no organisation (e.g. a login with an unknown e-mail). */
export const platformOrgId = '00000000-0000-0000-0000-000000000000';

export interface TransactionOptions {
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  /**
   * Tenant transactions of a patient in the portal: the second wall. Every table with patient
   * rows has a restrictive `portal_self` policy that then admits only this patient's rows, so a
   * bug in a portal service shows nothing of another patient. Staff transactions leave it unset.
   */
  patientId?: string;
}

/**
 * The database as features see it. There is no plain handle: every query runs in a transaction
 * that has already switched to the request role and set (or deliberately not set) the tenant.
 */
export interface Database {
  readonly engine: 'pglite' | 'postgres';
  /** Tenant work: RLS admits only rows of `orgId`. Global identity tables are reachable too. */
  tenant<T>(orgId: string, fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Identity-level work (accounts, sessions, link tokens) with no tenant: tenant tables show nothing. */
  identity<T>(fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Cross-tenant reads for the few paths that need them (login's membership lookup, the audit
   * sealer and verifier). Loudly named so that every use is easy to find in review.
   */
  systemDb<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * One statement, one round trip, outside any explicit transaction: calls a registered plpgsql
   * function (core/db/functions.ts) with `orgId` as its first parameter. The function itself
   * switches to haven_app and sets `app.org_id`/`app.scope` with `is_local = true`, so the context
   * lasts only for this statement's implicit transaction. Rows come back as the driver parses
   * them (bytea as Buffer on both engines). Never call it from inside `tenant`/`identity`/
   * `systemDb`: it is not part of that transaction, and on PGlite it would wait for itself.
   */
  callTenantFunction<T extends object = Record<string, unknown>>(orgId: string, fn: DbFunction, params: readonly unknown[]): Promise<T[]>;
  /** The same for identity-level functions (no tenant; the function sets `app.org_id` to ''). */
  callIdentityFunction<T extends object = Record<string, unknown>>(fn: DbFunction, params: readonly unknown[]): Promise<T[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * The embedded engine's raw superuser client, bypassing roles and RLS. For tests and tooling
   * only (e.g. simulating someone who tampers with the data files); null on PostgreSQL.
   */
  readonly unsafeEmbeddedClient: PGlite | null;
}

type Drizzle = ReturnType<typeof drizzlePglite<Schema>> | ReturnType<typeof drizzleNodePg<Schema>>;

/** Sends one registered function call as one statement (see `Database.callTenantFunction`). */
type CallStatement = (fn: DbFunction, values: unknown[]) => Promise<object[]>;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class DrizzleDatabase implements Database {
  constructor(
    readonly engine: 'pglite' | 'postgres',
    private readonly drizzle: Drizzle,
    private readonly serialise: Mutex | null,
    private readonly onClose: () => Promise<void>,
    private readonly callStatement: CallStatement,
    readonly unsafeEmbeddedClient: PGlite | null = null,
  ) {}

  private async run<T>(
    orgId: string | null,
    scope: 'request' | 'system',
    fn: (tx: Tx) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    const body = () =>
      (this.drizzle as unknown as { transaction: (cb: (tx: Tx) => Promise<T>, cfg?: object) => Promise<T> }).transaction(
        async (tx) => {
          // One round trip: drop to the request role and set tenant and scope for this
          // transaction only (is_local = true), so nothing leaks to the next user of the connection.
          await tx.execute(
            sql`select set_config('role', ${requestRole}, true), set_config('app.org_id', ${orgId ?? ''}, true), set_config('app.scope', ${scope}, true), set_config('app.patient_id', ${options.patientId ?? ''}, true)`,
          );
          return fn(tx);
        },
        options.isolation ? { isolationLevel: options.isolation } : undefined,
      );
    return this.serialise ? this.serialise.run(body) : body();
  }

  tenant<T>(orgId: string, fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (!/^[0-9a-f-]{36}$/i.test(orgId)) throw new Error('tenant() needs an organisation id');
    if (options?.patientId !== undefined && !/^[0-9a-f-]{36}$/i.test(options.patientId)) throw new Error('tenant() needs a patient id for a portal transaction');
    return this.run(orgId, 'request', fn, options);
  }

  identity<T>(fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.run(null, 'request', fn, options);
  }

  systemDb<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run(null, 'system', fn);
  }

  async callTenantFunction<T extends object>(orgId: string, fn: DbFunction, params: readonly unknown[]): Promise<T[]> {
    // The function trusts its first parameter as the tenant: refuse anything but a UUID here,
    // before it reaches SQL (the value itself stays out of the message).
    if (typeof orgId !== 'string' || !uuidPattern.test(orgId)) throw new TypeError('callTenantFunction() needs an organisation id (a UUID)');
    return this.call<T>(fn, [orgId, ...params]);
  }

  async callIdentityFunction<T extends object>(fn: DbFunction, params: readonly unknown[]): Promise<T[]> {
    return this.call<T>(fn, [...params]);
  }

  private async call<T extends object>(fn: DbFunction, values: unknown[]): Promise<T[]> {
    if (!isRegisteredDbFunction(fn)) throw new TypeError('only functions registered in core/db/functions.ts can be called');
    const body = () => this.callStatement(fn, values) as Promise<T[]>;
    return this.serialise ? this.serialise.run(body) : body();
  }

  async ping(): Promise<void> {
    await this.identity((tx) => tx.execute(sql`select 1`));
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

export interface OpenDatabaseOptions {
  engine: 'pglite' | 'postgres';
  /** PGlite: a directory, or null for an in-memory database (tests). */
  dataDir?: string | null;
  /** PostgreSQL: the request role's connection string. */
  url?: string;
  /** PostgreSQL: the owner role's connection string for migrations (default: url). */
  migrationUrl?: string | null;
  poolSize?: number;
  /** Apply pending migrations before serving (start, `haven migrate`). */
  migrate?: boolean;
  onMigrated?: (names: string[]) => void;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.engine === 'pglite') {
    const lock = options.dataDir ? DataDirLock.acquire(options.dataDir) : null;
    try {
      const client = options.dataDir ? await PGlite.create(options.dataDir) : await PGlite.create();
      if (options.migrate) {
        const applied = await migratePglite(client);
        options.onMigrated?.(applied);
      }
      const db = drizzlePglite({ client, schema });
      // No explicit BEGIN: the statement is its own implicit transaction, so the function's local
      // settings end with it. The Mutex (taken by the caller) keeps it apart from transactions.
      const callStatement: CallStatement = async (fn, values) => {
        const result = await client.query<Record<string, unknown>>(fn.text, values);
        return result.rows.map(bufferBytea);
      };
      return new DrizzleDatabase('pglite', db, new Mutex(), async () => {
        await client.close();
        lock?.release();
      }, callStatement, client);
    } catch (error) {
      lock?.release();
      throw error;
    }
  }
  if (!options.url) throw new Error('PostgreSQL needs a connection string');
  if (options.migrate) {
    const applied = await migratePostgres(options.migrationUrl ?? options.url);
    options.onMigrated?.(applied);
  }
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  pool.on('error', () => {
    /* a dropped idle client is replaced on next use; the query that needs it reports the error */
  });
  const db = drizzleNodePg({ client: pool, schema });
  // A named statement: pg parses and plans it once per connection, then sends Bind/Execute/Sync
  // only. Outside BEGIN the statement is its own transaction; the connection goes back to the
  // pool when it ends, error or not.
  const callStatement: CallStatement = async (fn, values) => (await pool.query({ name: fn.name, text: fn.text, values })).rows as object[];
  return new DrizzleDatabase('postgres', db, null, () => pool.end(), callStatement);
}

/** PGlite returns bytea as Uint8Array, pg as Buffer: give callers Buffers on both engines. */
function bufferBytea(row: Record<string, unknown>): Record<string, unknown> {
  for (const [column, value] of Object.entries(row)) {
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[column] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return row;
}

/** Runs raw SQL on a transaction and returns its rows (both drivers answer `{ rows }`). */
export async function queryRows<T>(tx: Tx, query: SQL): Promise<T[]> {
  const result = (await tx.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
