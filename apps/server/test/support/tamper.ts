import pg from 'pg';
import { inject } from 'vitest';
import type { Database } from '../../src/core/db/database.ts';

/**
 * Runs SQL as the schema owner, the way someone with the database password (or a copy of the
 * data files) could: to prove that tampering is detected. Tests only.
 */
export async function tamper(db: Database, orgId: string, statements: string[]): Promise<void> {
  if (db.unsafeEmbeddedClient) {
    for (const statement of statements) await db.unsafeEmbeddedClient.exec(statement);
    return;
  }
  const client = new pg.Client({ connectionString: inject('postgresOwnerUrl') });
  await client.connect();
  try {
    // FORCE ROW LEVEL SECURITY binds the owner too, so it has to name the tenant like the app does.
    await client.query(`select set_config('app.org_id', $1, false)`, [orgId]);
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
