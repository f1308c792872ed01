import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { findPostgresBin, startThrowawayCluster, type ThrowawayCluster } from './postgres-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    engine: 'pglite' | 'postgres';
    postgresAppUrl: string;
    postgresOwnerUrl: string;
    postgresSuperUrl: string;
    /** One master key and one audit signing key per run: on PostgreSQL all workers share one database. */
    testMasterKey: string;
    testAuditKeyPem: string;
  }
}

let cluster: ThrowawayCluster | null = null;

/**
 * Picks the engine for this run (HAVEN_TEST_ENGINE=pglite|postgres). For PostgreSQL it uses
 * HAVEN_TEST_DATABASE_URL/HAVEN_TEST_MIGRATION_DATABASE_URL when given, else a throwaway
 * cluster. In CI a missing PostgreSQL fails the run instead of skipping it.
 */
export default async function setup(project: TestProject) {
  const engine = process.env.HAVEN_TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite';
  project.provide('engine', engine);
  project.provide('testMasterKey', randomBytes(32).toString('base64'));
  project.provide('testAuditKeyPem', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  project.provide('postgresAppUrl', '');
  project.provide('postgresOwnerUrl', '');
  project.provide('postgresSuperUrl', '');
  if (engine === 'postgres') {
    if (process.env.HAVEN_TEST_DATABASE_URL) {
      project.provide('postgresAppUrl', process.env.HAVEN_TEST_DATABASE_URL);
      project.provide('postgresOwnerUrl', process.env.HAVEN_TEST_MIGRATION_DATABASE_URL ?? process.env.HAVEN_TEST_DATABASE_URL);
      const { migratePostgres } = await import('../../src/core/db/migrate.ts');
      await migratePostgres(process.env.HAVEN_TEST_MIGRATION_DATABASE_URL ?? process.env.HAVEN_TEST_DATABASE_URL);
    } else {
      if (!findPostgresBin()) throw new Error('HAVEN_TEST_ENGINE=postgres but no PostgreSQL binaries were found');
      cluster = await startThrowawayCluster();
      project.provide('postgresAppUrl', cluster.appUrl);
      project.provide('postgresOwnerUrl', cluster.ownerUrl);
      project.provide('postgresSuperUrl', cluster.superUrl);
    }
  }
  return () => cluster?.stop();
}
