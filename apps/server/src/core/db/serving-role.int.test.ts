import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { createServices } from '../services.ts';
import { createLogger } from '../logger.ts';
import { AuditSigner } from '../audit/signing-key.ts';
import { sharedMasterKeys, testEngine } from '../../../test/support/harness.ts';

/**
 * On PostgreSQL, row-level security is only a wall if the server is neither superuser nor the
 * owner of the tables. Production refuses to start otherwise.
 */
describe.runIf(testEngine() === 'postgres')('the PostgreSQL serving role', () => {
  const base = { NODE_ENV: 'production', HAVEN_PUBLIC_URL: 'https://haven.example', HAVEN_TRUST_PROXY: '127.0.0.1', HAVEN_AUDIT_SIGNING_KEY_FILE: '/unused', HAVEN_MASTER_KEY_FILE: '/unused', HAVEN_LOG_LEVEL: 'silent' };

  it('refuses to serve as the owner of the tables in production', async () => {
    const config = loadConfig({ ...base, DATABASE_URL: inject('postgresOwnerUrl') });
    await expect(createServices(config, { signer: AuditSigner.generate(), masterKeys: sharedMasterKeys, logger: createLogger('silent') })).rejects.toThrow(/a superuser or the owner of the tables/);
  });

  it('refuses, even in development, a role that cannot act as haven_app, and says how to fix it', async () => {
    const config = loadConfig({ HAVEN_LOG_LEVEL: 'silent', DATABASE_URL: inject('postgresOwnerUrl') });
    await expect(createServices(config, { signer: AuditSigner.generate(), masterKeys: sharedMasterKeys, logger: createLogger('silent') })).rejects.toThrow(/may not act as haven_app: connect as haven_app or GRANT haven_app TO "haven_owner"/);
  });

  it('serves as the request role, migrating as the owner', async () => {
    const config = loadConfig({ ...base, DATABASE_URL: inject('postgresAppUrl'), HAVEN_MIGRATION_DATABASE_URL: inject('postgresOwnerUrl') });
    const services = await createServices(config, { signer: AuditSigner.generate(), masterKeys: sharedMasterKeys, logger: createLogger('silent') });
    await services.db.ping();
    await services.db.close();
  });
});
