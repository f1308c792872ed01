// Builds the web app when apps/web/dist is missing or older than its sources (or the contract).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webDir = path.join(root, 'apps/web');
const distIndex = path.join(webDir, 'dist/index.html');

function newestMtime(target) {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(target, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry.name)));
  }
  return newest;
}

export function buildWebIfStale() {
  const sources = ['src', 'index.html', 'public', 'vite.config.ts'].map((name) => path.join(webDir, name));
  sources.push(path.join(root, 'packages/contracts/src'));
  const builtAt = existsSync(distIndex) ? statSync(distIndex).mtimeMs : 0;
  if (builtAt > 0 && sources.every((source) => newestMtime(source) <= builtAt)) return true;
  process.stdout.write('Building the web app…\n');
  return spawnSync('npm', ['run', 'build', '-w', 'apps/web'], { cwd: root, stdio: 'inherit' }).status === 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(buildWebIfStale() ? 0 : 1);
