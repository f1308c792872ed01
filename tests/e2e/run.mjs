// Browser tests: builds the web app if needed, starts Haven on a fresh data directory and a free
// port, runs every tests/e2e/*.spec.ts with Node's test runner in Debian's Chromium, stops Haven.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWebIfStale } from '../../scripts/web-build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const require = createRequire(import.meta.url);
const tsx = require.resolve('tsx/cli');

if (!buildWebIfStale()) process.exit(1);

const port = await new Promise((resolve) => {
  const server = createServer();
  server.listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => resolve(free));
  });
});
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'haven-e2e-'));
const baseUrl = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  NODE_ENV: 'development',
  HAVEN_HOST: '127.0.0.1',
  HAVEN_PORT: String(port),
  HAVEN_PUBLIC_URL: baseUrl,
  HAVEN_DATA_DIR: dataDir,
  HAVEN_LOG_LEVEL: process.env.HAVEN_E2E_LOG_LEVEL ?? 'warn',
  HAVEN_LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
  // Test-only: lets risky-login.spec.ts sign in "from another country" (refused in production).
  HAVEN_TEST_CLIENT_ADDRESS_HEADER: '1',
};
const server = spawn(process.execPath, [tsx, path.join(root, 'apps/server/src/main.ts')], { cwd: root, env, stdio: ['ignore', process.env.HAVEN_E2E_SERVER_STDOUT ? 'inherit' : 'ignore', 'inherit'] });
const stop = () => {
  server.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
};

let ready = false;
for (let attempt = 0; attempt < 120 && !ready; attempt += 1) {
  try {
    ready = (await fetch(`${baseUrl}/readyz`)).ok;
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
if (!ready) {
  process.stderr.write('Haven did not become ready for the browser tests\n');
  stop();
  process.exit(1);
}

const only = process.argv.slice(2);
const specs = readdirSync(here)
  .filter((file) => file.endsWith('.spec.ts') && (only.length === 0 || only.some((name) => file.includes(name))))
  .sort()
  .map((file) => path.join(here, file));
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...specs], {
  cwd: root,
  stdio: 'inherit',
  env: { ...env, HAVEN_E2E_URL: baseUrl, HAVEN_E2E_DATA_DIR: dataDir },
});
stop();
process.exit(result.status ?? 1);
