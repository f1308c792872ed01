import { execFileSync } from 'node:child_process';
import { findPostgresBin, startThrowawayCluster } from '../apps/server/test/support/postgres-cluster.ts';

/*
 * `npm run bench [-- --only foundation|dossiers]`: each benchmark on the embedded database and,
 * when Debian's PostgreSQL is installed (or BENCH_DATABASE_URL is set), on PostgreSQL.
 */
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const wanted = (name: string) => !only || only === name;
if (only && !['foundation', 'dossiers'].includes(only)) throw new Error(`unknown benchmark "${only}" (foundation, dossiers)`);
const postgresAvailable = Boolean(process.env.BENCH_DATABASE_URL) || Boolean(findPostgresBin());

if (wanted('foundation')) {
  const cluster = !process.env.BENCH_DATABASE_URL && findPostgresBin() ? await startThrowawayCluster() : null;
  const saved = { url: process.env.BENCH_DATABASE_URL, owner: process.env.BENCH_MIGRATION_DATABASE_URL };
  if (cluster) {
    process.env.BENCH_DATABASE_URL = cluster.appUrl;
    process.env.BENCH_MIGRATION_DATABASE_URL = cluster.ownerUrl;
  }
  try {
    await import('./foundation.bench.ts');
  } finally {
    cluster?.stop();
    process.env.BENCH_DATABASE_URL = saved.url ?? '';
    if (!saved.url) delete process.env.BENCH_DATABASE_URL;
    if (saved.owner) process.env.BENCH_MIGRATION_DATABASE_URL = saved.owner;
    else delete process.env.BENCH_MIGRATION_DATABASE_URL;
  }
}

if (wanted('dossiers')) {
  const { runDossierBench, writeDossierResults } = await import('./dossier.bench.ts');
  console.log('Dossier benchmark (issue 5):');
  // BENCH_ENGINES=postgres (or pglite) runs one engine only, for diagnosis; a full run takes both.
  const engines = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',');
  const results = engines.includes('pglite') ? [await runDossierBench('pglite')] : [];
  if (postgresAvailable && engines.includes('postgres')) {
    // Durable: the numbers must hold with fsync and synchronous commits, as on a real server.
    const cluster = process.env.BENCH_DATABASE_URL ? null : await startThrowawayCluster({ durable: true });
    if (cluster) {
      process.env.BENCH_DATABASE_URL = cluster.appUrl;
      process.env.BENCH_MIGRATION_DATABASE_URL = cluster.ownerUrl;
    }
    try {
      results.push(await runDossierBench('postgres'));
    } finally {
      cluster?.stop();
    }
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  } catch {
    /* not a git checkout */
  }
  writeDossierResults(results, { commit });
  for (const result of results) {
    console.log(`  ${result.engine}: secure ${result.secureRead.requestsPerSecond}/s p99 ${result.secureRead.p99} ms, search ${result.search.requestsPerSecond}/s, plain ${result.plainRead.requestsPerSecond}/s, ratio ${result.ratioSecureToPlain}, audited ${result.auditedReads} for ${result.secureReadsIncludingWarmup} answered`);
  }
  console.log('  written to bench/results/dossiers.{json,md}');
}
