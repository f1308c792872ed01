import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../migrations');

/** A connection as the schema owner, used for nothing but migrations. */
interface OwnerConnection {
  query(text: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /** Runs a multi-statement script and the bookkeeping insert atomically. */
  applyScript(script: string, name: string): Promise<void>;
}

export interface MigrationFile {
  name: string;
  sql: string;
}

export function listMigrations(dir = migrationsDir): MigrationFile[] {
  return readdirSync(dir)
    .filter((file) => /^\d{12}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ name: file.replace(/\.sql$/, ''), sql: readFileSync(path.join(dir, file), 'utf8') }));
}

async function applyAll(connection: OwnerConnection, files: MigrationFile[]): Promise<string[]> {
  await connection.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  const applied = new Set((await connection.query('SELECT name FROM schema_migrations')).map((row) => String(row.name)));
  const done: string[] = [];
  for (const file of files) {
    if (applied.has(file.name)) continue;
    await connection.applyScript(file.sql, file.name);
    done.push(file.name);
  }
  return done;
}

/** Applies pending migrations to an embedded database (the PGlite superuser owns the schema). */
export async function migratePglite(client: PGlite, files = listMigrations()): Promise<string[]> {
  return applyAll(
    {
      query: async (text, params) => (await client.query<Record<string, unknown>>(text, params)).rows,
      applyScript: async (script, name) => {
        await client.transaction(async (tx) => {
          await tx.exec(script);
          await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
        });
      },
    },
    files,
  );
}

/**
 * Applies pending migrations to PostgreSQL as the owner role. An advisory lock keeps two
 * starting servers from migrating at once.
 */
export async function migratePostgres(ownerUrl: string, files = listMigrations()): Promise<string[]> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(4242001)');
    return await applyAll(
      {
        query: async (text, params) => (await client.query(text, params as unknown[])).rows,
        applyScript: async (script, name) => {
          await client.query('BEGIN');
          try {
            await client.query(script);
            await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw new Error(`Migration ${name} failed: ${(error as Error).message}`, { cause: error });
          }
        },
      },
      files,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
