// `npm run bench`: the benchmarks in bench/, on the embedded database and — when Debian's
// PostgreSQL is installed — on a throwaway PostgreSQL cluster. Results land in bench/results/.
// `npm run bench -- --only dossiers` (or `foundation`) runs one of them.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(root, 'bench/run.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
