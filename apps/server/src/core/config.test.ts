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

describe('SMS configuration', () => {
  const production = {
    NODE_ENV: 'production',
    HAVEN_TRUST_PROXY: '127.0.0.1',
    HAVEN_PUBLIC_URL: 'https://praxis.example.org',
    HAVEN_AUDIT_SIGNING_KEY_FILE: '/etc/haven/audit.key',
    HAVEN_MASTER_KEY_FILE: '/etc/haven/master.key',
  };
  const problems = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('the configuration was accepted');
  };

  it('writes SMS to the outbox under the data directory by default', () => {
    expect(loadConfig({ HAVEN_DATA_DIR: '/srv/haven' }).sms).toEqual({ kind: 'outbox', outboxDir: path.resolve('/srv/haven/outbox/sms') });
  });

  it('uses an HTTP provider when HAVEN_SMS_URL is set', () => {
    const config = loadConfig({ ...production, HAVEN_SMS_URL: 'https://sms.example.net/v1/messages', HAVEN_SMS_AUTH_HEADER: 'Bearer abc.def', HAVEN_SMS_FROM: 'Praxis' });
    expect(config.sms).toMatchObject({ kind: 'http', url: 'https://sms.example.net/v1/messages', from: 'Praxis', authHeader: 'Bearer abc.def' });
    expect(loadConfig({ HAVEN_SMS_URL: 'http://127.0.0.1:9000/sms' }).sms).toMatchObject({ kind: 'http', from: 'Haven', authHeader: null });
  });

  it('refuses plain http:// to the provider in production, with a clear message', () => {
    expect(problems({ ...production, HAVEN_SMS_URL: 'http://sms.example.net/v1/messages' })).toContain('HAVEN_SMS_URL must be https:// in production mode');
  });

  it('refuses what is not an http(s) URL, credentials in the URL, and a header without a URL', () => {
    expect(problems({ HAVEN_SMS_URL: 'sms.example.net/send' })).toContain('HAVEN_SMS_URL is not a URL');
    expect(problems({ HAVEN_SMS_URL: 'ftp://sms.example.net/' })).toContain('HAVEN_SMS_URL must be an https:// URL');
    expect(problems({ HAVEN_SMS_URL: 'https://user:pass@sms.example.net/' })).toContain('must not contain credentials');
    expect(problems({ HAVEN_SMS_AUTH_HEADER: 'Bearer abc' })).toContain('HAVEN_SMS_URL is not');
  });

  it('refuses a header that would break the request, without repeating the secret', () => {
    const message = problems({ HAVEN_SMS_URL: 'https://sms.example.net/', HAVEN_SMS_AUTH_HEADER: 'Bearer top-secret\r\nX-Evil: 1' });
    expect(message).toContain('HAVEN_SMS_AUTH_HEADER');
    expect(message).not.toContain('top-secret');
  });

  it('takes an alphanumeric sender of up to 11 characters or a number', () => {
    expect(loadConfig({ HAVEN_SMS_URL: 'https://sms.example.net/', HAVEN_SMS_FROM: '+31201234567' }).sms).toMatchObject({ from: '+31201234567' });
    expect(problems({ HAVEN_SMS_URL: 'https://sms.example.net/', HAVEN_SMS_FROM: 'Praxis am Rhein' })).toContain('HAVEN_SMS_FROM');
  });
});

describe('country lookup configuration', () => {
  it('caps the key cache at 20,000 entries unless told otherwise, and refuses nonsense', () => {
    expect(loadConfig({}).keyCacheEntries).toBe(20_000);
    expect(loadConfig({ HAVEN_KEY_CACHE_ENTRIES: '50000' }).keyCacheEntries).toBe(50_000);
    for (const bad of ['0', '99', '-5', '1.5', 'lots', '20000000']) {
      expect(() => loadConfig({ HAVEN_KEY_CACHE_ENTRIES: bad })).toThrow(/HAVEN_KEY_CACHE_ENTRIES/);
    }
  });

  it('uses the bundled database unless HAVEN_GEO_DB_FILE names an existing file', () => {
    expect(loadConfig({}).geo).toEqual({ dbFile: null });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haven-geo-'));
    writeFileSync(path.join(dir, 'country.mmdb'), 'x');
    expect(loadConfig({ HAVEN_GEO_DB_FILE: path.join(dir, 'country.mmdb') }).geo).toEqual({ dbFile: path.join(dir, 'country.mmdb') });
    expect(() => loadConfig({ HAVEN_GEO_DB_FILE: path.join(dir, 'missing.mmdb') })).toThrow(/HAVEN_GEO_DB_FILE does not exist/);
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
