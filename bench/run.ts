import { findPostgresBin, startThrowawayCluster } from '../apps/server/test/support/postgres-cluster.ts';

/** Starts a throwaway PostgreSQL when possible, then runs the benchmarks on both engines. */
const cluster = !process.env.BENCH_DATABASE_URL && findPostgresBin() ? await startThrowawayCluster() : null;
if (cluster) {
  process.env.BENCH_DATABASE_URL = cluster.appUrl;
  process.env.BENCH_MIGRATION_DATABASE_URL = cluster.ownerUrl;
}
try {
  await import('./foundation.bench.ts');
} finally {
  cluster?.stop();
}
