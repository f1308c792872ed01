import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './core/config.ts';
import { createServices } from './core/services.ts';

/** Reads the configuration, opens the database (migrating it), and serves. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const services = await createServices(config);
  const app = await buildApp(services);
  await app.listen({ host: config.host, port: config.port });
  services.sealer.start(config.audit.sealIntervalMs);
  const engine = config.database.engine === 'pglite' ? `embedded database in ${config.database.dataDir}` : 'PostgreSQL';
  process.stdout.write(`\n  Haven is running at ${config.publicUrl}  (${engine})\n  E-mail goes to ${config.mail.smtpUrl ? 'SMTP' : `the outbox: npx haven outbox`}\n\n`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    services.logger.info({ signal }, 'shutting down');
    await app.close();
    await services.sealer.sealOnce().catch(() => undefined);
    await services.sealer.stop();
    await services.db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Haven failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
