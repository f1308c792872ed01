import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migratePostgres } from '../../src/core/db/migrate.ts';

export interface ThrowawayCluster {
  /** The owner role: runs migrations, owns the tables. */
  ownerUrl: string;
  /** The request role: neither superuser nor owner; what the server connects as. */
  appUrl: string;
  /** The cluster's superuser over the Unix socket: for pg_dump (FORCE RLS refuses the owner). */
  superUrl: string;
  stop(): void;
}

/** The newest Debian PostgreSQL bin directory, or HAVEN_PG_BIN. */
export function findPostgresBin(): string | null {
  if (process.env.HAVEN_PG_BIN) return process.env.HAVEN_PG_BIN;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((version) => existsSync(path.join(base, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], 'bin') : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts a PostgreSQL cluster for one test run: initdb into a temporary directory, listening on
 * 127.0.0.1 only, run as the `postgres` OS user when we are root (initdb refuses root). Creates
 * the owner and request roles the way docs/operations.md tells an operator to, then migrates.
 */
/**
 * `durable`: keep PostgreSQL's defaults (fsync, synchronous_commit, full_page_writes on), for
 * benchmarks whose numbers must hold on a real server; tests run faster without them.
 */
export async function startThrowawayCluster(options: { durable?: boolean } = {}): Promise<ThrowawayCluster> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL binaries not found (install Debian package postgresql, or set HAVEN_PG_BIN)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'haven-pg-'));
  const asRoot = process.getuid?.() === 0;
  let uid: number | null = null;
  let gid: number | null = null;
  if (asRoot) {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) =>
    execFileSync(path.join(bin, tool), args, { stdio: 'pipe', ...(asRoot ? { uid: uid!, gid: gid! } : {}), env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  const dataDir = path.join(dir, 'data');
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  run('pg_ctl', [
    '-D', dataDir, '-l', path.join(dir, 'server.log'), '-w', '-t', '60',
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off'} -c max_connections=200`,
    'start',
  ]);
  const stop = () => {
    try {
      run('pg_ctl', ['-D', dataDir, '-m', 'immediate', 'stop']);
    } catch {
      /* already stopped */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const admin = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE ROLE haven_owner LOGIN PASSWORD 'owner-test-password'`);
    await admin.query(`CREATE ROLE haven_app LOGIN PASSWORD 'app-test-password' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`);
    await admin.query(`CREATE DATABASE haven OWNER haven_owner`);
    await admin.end();
    const ownerUrl = `postgres://haven_owner:owner-test-password@127.0.0.1:${port}/haven`;
    const appUrl = `postgres://haven_app:app-test-password@127.0.0.1:${port}/haven`;
    await migratePostgres(ownerUrl);
    const superUrl = `postgresql:///haven?host=${encodeURIComponent(dir)}&port=${port}&user=postgres`;
    return { ownerUrl, appUrl, superUrl, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
