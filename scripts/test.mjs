// `npm test`: everything that proves Haven works, in the order a failure is cheapest to see.
//   1. the three translations have the same keys           (apps/web/scripts/check-i18n.mjs)
//   2. TypeScript type-check of server, contract and web app
//   3. unit + integration tests on the embedded database     (vitest, HAVEN_TEST_ENGINE=pglite)
//   4. the same tests on PostgreSQL                           (a throwaway cluster; required in CI)
//   5. browser tests in Debian's Chromium                     (tests/e2e; required in CI)
// Options: --only <step>  (i18n|types|pglite|postgres|e2e), --skip-e2e.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const inCi = Boolean(process.env.CI);
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

const want = (step) => (only ? only === step : !(step === 'e2e' && args.includes('--skip-e2e')));
const run = (command, commandArgs, env = {}) =>
  spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

function step(name, fn) {
  if (!want(name)) return;
  process.stdout.write(`\n━━ ${name} ━━\n`);
  const started = Date.now();
  const ok = fn();
  process.stdout.write(`━━ ${name}: ${ok ? 'ok' : 'FAILED'} (${Math.round((Date.now() - started) / 1000)} s)\n`);
  if (!ok) failures.push(name);
}

function vitest(engine) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'haven-vitest-'));
  const report = path.join(dir, 'report.json');
  const status = run(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    HAVEN_TEST_ENGINE: engine,
  });
  if (existsSync(report)) {
    const result = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += result.numPassedTests;
    totals.failed += result.numFailedTests;
    totals.skipped += result.numPendingTests + result.numTodoTests;
  } else if (status !== 0) totals.failed += 1;
  rmSync(dir, { recursive: true, force: true });
  return status === 0;
}

function findPostgres() {
  if (process.env.HAVEN_PG_BIN || process.env.HAVEN_TEST_DATABASE_URL) return true;
  const base = '/usr/lib/postgresql';
  return existsSync(base) && readdirSync(base).some((version) => existsSync(path.join(base, version, 'bin/initdb')));
}

step('i18n', () => {
  const check = path.join(root, 'apps/web/scripts/check-i18n.mjs');
  if (!existsSync(check)) return true;
  const ok = run(process.execPath, [check]) === 0;
  totals[ok ? 'passed' : 'failed'] += 1;
  return ok;
});

step('types', () => {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const projects = ['packages/contracts', 'apps/server', 'apps/web', 'bench'].filter((project) => existsSync(path.join(root, project, 'tsconfig.json')));
  const ok = projects.every((project) => run(process.execPath, [tsc, '-p', project]) === 0);
  totals[ok ? 'passed' : 'failed'] += 1;
  return ok;
});

step('pglite', () => vitest('pglite'));

step('postgres', () => {
  if (!findPostgres()) {
    if (inCi) {
      process.stderr.write('PostgreSQL is required in CI (install Debian package postgresql).\n');
      totals.failed += 1;
      return false;
    }
    process.stdout.write('PostgreSQL binaries not found: SKIPPING the PostgreSQL run (install Debian package postgresql).\n');
    totals.skipped += 1;
    return true;
  }
  return vitest('postgres');
});

step('e2e', () => {
  const runner = path.join(root, 'tests/e2e/run.mjs');
  if (!existsSync(runner)) return true;
  if (!existsSync('/usr/bin/chromium')) {
    if (inCi) {
      process.stderr.write('Chromium is required in CI (install Debian package chromium).\n');
      totals.failed += 1;
      return false;
    }
    process.stdout.write('/usr/bin/chromium not found: SKIPPING the browser tests (install Debian package chromium).\n');
    totals.skipped += 1;
    return true;
  }
  const result = spawnSync(process.execPath, [runner], { cwd: root, stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stdout.write(result.stdout ?? '');
  const pass = /^# pass (\d+)/m.exec(result.stdout ?? '');
  const fail = /^# fail (\d+)/m.exec(result.stdout ?? '');
  totals.passed += Number(pass?.[1] ?? 0);
  totals.failed += Number(fail?.[1] ?? (result.status === 0 ? 0 : 1));
  return result.status === 0;
});

process.stdout.write(`\n${failures.length ? `Failed steps: ${failures.join(', ')}` : 'All steps passed.'}\n`);
process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
process.exit(failures.length ? 1 : 0);
