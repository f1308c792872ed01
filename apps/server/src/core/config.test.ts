import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('starts on http://localhost:8080 with the embedded database under ./data by default', () => {
    const config = loadConfig({});
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.database).toEqual({ engine: 'pglite', dataDir: path.resolve('data/db') });
    expect(config.https).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('uses PostgreSQL when DATABASE_URL is set, with a separate migration role', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app@db/haven', HAVEN_MIGRATION_DATABASE_URL: 'postgres://owner@db/haven' });
    expect(config.database).toEqual({ engine: 'postgres', url: 'postgres://app@db/haven', migrationUrl: 'postgres://owner@db/haven' });
  });

  it('lists every invalid value at once', () => {
    expect(() => loadConfig({ HAVEN_PORT: 'eighty', HAVEN_LOG_LEVEL: 'loud' })).toThrow(/HAVEN_PORT[\s\S]*HAVEN_LOG_LEVEL/);
  });

  it('refuses production without TLS or a trusted proxy, without https, without an explicit audit key', () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('needs TLS');
    expect(message).toContain('https://');
    expect(message).toContain('HAVEN_AUDIT_SIGNING_KEY_FILE');
    expect(message).toContain('HAVEN_MASTER_KEY');
  });

  it('accepts production behind a TLS-terminating proxy and then marks cookies secure', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      HAVEN_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
      HAVEN_PUBLIC_URL: 'https://praxis.example.org',
      HAVEN_AUDIT_SIGNING_KEY_FILE: '/etc/haven/audit.key',
      HAVEN_MASTER_KEY_FILE: '/etc/haven/master.key',
    });
    expect(config.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(config.https).toBe(true);
  });

  it('reads a TLS certificate and key given together, and refuses one without the other', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haven-tls-'));
    writeFileSync(path.join(dir, 'cert.pem'), 'cert');
    writeFileSync(path.join(dir, 'key.pem'), 'key');
    const config = loadConfig({ HAVEN_TLS_CERT_FILE: path.join(dir, 'cert.pem'), HAVEN_TLS_KEY_FILE: path.join(dir, 'key.pem') });
    expect(config.publicUrl).toBe('https://localhost:8080');
    expect(config.https).toBe(true);
    expect(() => loadConfig({ HAVEN_TLS_CERT_FILE: path.join(dir, 'cert.pem') })).toThrow(/set together/);
  });
});

describe('the README configuration reference', () => {
  it('documents every variable Haven reads, and no other', async () => {
    const { readFileSync } = await import('node:fs');
    const { configVariables } = await import('./config.ts');
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Learn more'));
    const documented = new Set([...section.matchAll(/`((?:HAVEN_|DATABASE_URL|NODE_ENV)[A-Z_]*)`/g)].map((match) => match[1]));
    expect([...documented].sort()).toEqual([...configVariables].sort());
  });
});
