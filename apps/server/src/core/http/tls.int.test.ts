import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.ts';
import { loadConfig } from '../config.ts';
import { MemoryMailer } from '../mail/mailer.ts';
import { createServices } from '../services.ts';
import { sharedDatabase, sharedMasterKeys } from '../../../test/support/harness.ts';
import type { FastifyInstance } from 'fastify';

/** Haven serving HTTPS itself with a certificate and key, as an operator would configure it. */
describe('HTTPS', () => {
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haven-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    const config = loadConfig({
      HAVEN_HOST: '127.0.0.1',
      HAVEN_PORT: '0',
      HAVEN_DATA_DIR: dir,
      HAVEN_TLS_CERT_FILE: path.join(dir, 'cert.pem'),
      HAVEN_TLS_KEY_FILE: path.join(dir, 'key.pem'),
      HAVEN_LOG_LEVEL: 'silent',
      HAVEN_SERVE_WEB: 'false',
    });
    const services = await createServices(config, { db: await sharedDatabase(), mailer: new MemoryMailer(), masterKeys: sharedMasterKeys });
    app = await buildApp(services);
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  const get = (url: string, options: { minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2'; maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' } = {}) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: url, rejectUnauthorized: false, ...options }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      });
      req.on('error', reject);
      req.end();
    });

  it('serves over TLS with HSTS and __Host- cookies', async () => {
    const response = await get('/api/v1/auth/session');
    expect(response.status).toBe(200);
    expect(response.headers['strict-transport-security']).toMatch(/max-age=31536000; includeSubDomains/);
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    expect(cookies.some((cookie) => cookie.startsWith('__Host-haven_csrf=') && /; Secure/.test(cookie) && /Path=\//.test(cookie))).toBe(true);
    expect(response.headers['content-security-policy']).toContain('upgrade-insecure-requests');
  });

  it('refuses TLS 1.1 and older', async () => {
    await expect(get('/healthz', { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })).rejects.toThrow();
  });
});
