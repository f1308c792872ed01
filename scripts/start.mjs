// `npm start`: builds the web app when it is missing or stale, then starts the server
// (migrations are applied at start). TypeScript runs through tsx: no separate build step.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWebIfStale } from './web-build.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.HAVEN_SERVE_WEB !== 'false' && !buildWebIfStale()) process.exit(1);

const require = createRequire(import.meta.url);
const server = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(root, 'apps/server/src/main.ts')], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
