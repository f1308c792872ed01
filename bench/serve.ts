/**
 * One benchmark server process: opens the seeded database with the seed's master key, builds the
 * real app plus the plain baseline route, listens on BENCH_PORT and prints "ready". Started by
 * bench/dossier.bench.ts, one or more per engine; never part of the product.
 */
import { buildApp } from '../apps/server/src/app.ts';
import { AuditSigner } from '../apps/server/src/core/audit/signing-key.ts';
import { benchConfig } from './config.ts';
import { LocalMasterKeyProvider } from '../apps/server/src/core/crypto/key-provider.ts';
import { openDatabase } from '../apps/server/src/core/db/database.ts';
import { createLogger } from '../apps/server/src/core/logger.ts';
import { MemoryMailer } from '../apps/server/src/core/mail/mailer.ts';
import { createServices } from '../apps/server/src/core/services.ts';
import { plainDossierRoute } from './plain-route.ts';

const env = process.env;
const engine = env.BENCH_ENGINE === 'postgres' ? 'postgres' : 'pglite';
const db =
  engine === 'pglite'
    ? await openDatabase({ engine: 'pglite', dataDir: env.BENCH_PGLITE_DIR!, migrate: false })
    : await openDatabase({ engine: 'postgres', url: env.BENCH_DATABASE_URL!, migrationUrl: null, migrate: false, poolSize: Number(env.BENCH_POOL_SIZE ?? 10) });
const services = await createServices(benchConfig(env.BENCH_DATA_DIR), {
  db,
  mailer: new MemoryMailer(),
  signer: AuditSigner.generate(),
  masterKeys: LocalMasterKeyProvider.fromKeys(new Map([[1, Buffer.from(env.BENCH_MASTER_KEY!, 'hex')]]), 'bench'),
  logger: createLogger('silent'),
});
const app = await buildApp(services);
await app.register(async (scope) => plainDossierRoute(scope, services));
await app.listen({ host: '127.0.0.1', port: Number(env.BENCH_PORT) });
process.send?.('ready');
process.on('message', async (message) => {
  if (message === 'stop') {
    await app.close();
    await db.close();
    process.exit(0);
  }
});

