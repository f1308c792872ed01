import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The one configuration schema. Read once at start from HAVEN_* variables (and DATABASE_URL,
 * NODE_ENV), validated, frozen and passed in; nothing else reads the environment.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HAVEN_HOST: z.string().default('0.0.0.0'),
  HAVEN_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HAVEN_PUBLIC_URL: z.url().optional(),
  HAVEN_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().startsWith('postgres').optional(),
  HAVEN_MIGRATION_DATABASE_URL: z.string().startsWith('postgres').optional(),
  HAVEN_TLS_CERT_FILE: z.string().optional(),
  HAVEN_TLS_KEY_FILE: z.string().optional(),
  HAVEN_TRUST_PROXY: z.string().optional(),
  HAVEN_SMTP_URL: z.string().regex(/^smtps?:\/\//, 'smtp:// or smtps:// URL').optional(),
  HAVEN_MAIL_FROM: z.string().default('Haven <no-reply@haven.localhost>'),
  HAVEN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HAVEN_AUDIT_SIGNING_KEY_FILE: z.string().optional(),
  HAVEN_MASTER_KEY: z.string().optional(),
  HAVEN_MASTER_KEY_FILE: z.string().optional(),
  HAVEN_AUDIT_SEAL_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  HAVEN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(10).max(100_000).default(600),
  HAVEN_LOGIN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20),
  HAVEN_SESSION_ABSOLUTE_HOURS: z.coerce.number().min(1).max(24).default(12),
  HAVEN_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(65_536),
  HAVEN_SERVE_WEB: bool.default(true),
  HAVEN_BLOB_DIR: z.string().optional(),
  HAVEN_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1024).max(1_073_741_824).default(26_214_400),
  HAVEN_SMS_URL: z.string().optional(),
  // A secret: the messages below never repeat the value.
  HAVEN_SMS_AUTH_HEADER: z.string().regex(/^[\x20-\x7e]+$/, 'printable ASCII on one line, e.g. "Bearer <token>"').optional(),
  HAVEN_SMS_FROM: z
    .string()
    .regex(/^(?:\+?\d{3,15}|[A-Za-z0-9][A-Za-z0-9 .-]{0,10})$/, 'a sender name of up to 11 letters/digits, or a phone number')
    .default('Haven'),
  HAVEN_GEO_DB_FILE: z.string().optional(),
  // Unwrapped keys kept in memory (about one per patient opened recently); least recently used go first.
  HAVEN_KEY_CACHE_ENTRIES: z.coerce.number().int().min(100).max(10_000_000).default(20_000),
  // Test-only: lets a request header set the client address (refused in production mode).
  HAVEN_TEST_CLIENT_ADDRESS_HEADER: bool.default(false),
});

export type Env = Record<string, string | undefined>;

/** Every environment variable Haven reads (the README documents each; a test checks). */
export const configVariables = Object.keys(EnvSchema.shape);

export interface Config {
  readonly mode: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly database:
    | { readonly engine: 'pglite'; readonly dataDir: string | null }
    | { readonly engine: 'postgres'; readonly url: string; readonly migrationUrl: string | null };
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
  /** Fastify trustProxy: false, true, a hop count or a list of addresses/CIDRs. */
  readonly trustProxy: boolean | number | string[];
  readonly https: boolean;
  readonly mail: { readonly smtpUrl: string | null; readonly from: string; readonly outboxDir: string };
  readonly logLevel: string;
  readonly audit: { readonly signingKeyFile: string; readonly sealIntervalMs: number };
  /** The master key: from the environment (never logged) or a file; created only outside production. */
  readonly masterKey: { readonly value: string | undefined; readonly file: string };
  readonly rateLimit: { readonly perMinute: number; readonly loginPerMinute: number };
  readonly session: { readonly absoluteHours: number };
  readonly bodyLimitBytes: number;
  /** Encrypted file contents (core/blobs); by default `<data dir>/blobs`. */
  readonly blobDir: string;
  /** The largest file an upload may be, in bytes (plaintext). */
  readonly uploadMaxBytes: number;
  readonly serveWeb: boolean;
  /**
   * Where SMS go: the outbox (default) or a generic HTTP provider (core/sms). `outboxDir` is
   * set either way, so `haven outbox` can list what was written before a provider was set.
   */
  readonly sms:
    | { readonly kind: 'outbox'; readonly outboxDir: string }
    | { readonly kind: 'http'; readonly url: string; readonly from: string; readonly authHeader: string | null; readonly outboxDir: string };
  /** Offline IP → country lookup (core/security/geo.ts): an operator's .mmdb, or null for the bundled one. */
  readonly geo: { readonly dbFile: string | null };
  /** The most unwrapped keys the key ring keeps in memory (core/crypto/key-ring.ts). */
  readonly keyCacheEntries: number;
  /**
   * Test-only (HAVEN_TEST_CLIENT_ADDRESS_HEADER): the `x-haven-test-client-address` request
   * header sets the client address, so tests can sign in "from another country". Never in production.
   */
  readonly testClientAddressHeader: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses and checks the environment; throws ConfigError with every problem listed. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.HAVEN_DATA_DIR);
  const problems: string[] = [];

  let tls: Config['tls'] = null;
  if (e.HAVEN_TLS_CERT_FILE || e.HAVEN_TLS_KEY_FILE) {
    if (!e.HAVEN_TLS_CERT_FILE || !e.HAVEN_TLS_KEY_FILE) {
      problems.push('HAVEN_TLS_CERT_FILE and HAVEN_TLS_KEY_FILE must be set together');
    } else if (!existsSync(e.HAVEN_TLS_CERT_FILE) || !existsSync(e.HAVEN_TLS_KEY_FILE)) {
      problems.push('HAVEN_TLS_CERT_FILE or HAVEN_TLS_KEY_FILE does not exist');
    } else {
      tls = { cert: readFileSync(e.HAVEN_TLS_CERT_FILE), key: readFileSync(e.HAVEN_TLS_KEY_FILE) };
    }
  }

  let trustProxy: Config['trustProxy'] = false;
  if (e.HAVEN_TRUST_PROXY !== undefined && e.HAVEN_TRUST_PROXY !== '' && e.HAVEN_TRUST_PROXY !== 'false') {
    if (e.HAVEN_TRUST_PROXY === 'true') trustProxy = true;
    else if (/^\d+$/.test(e.HAVEN_TRUST_PROXY)) trustProxy = Number(e.HAVEN_TRUST_PROXY);
    else trustProxy = e.HAVEN_TRUST_PROXY.split(',').map((part) => part.trim()).filter(Boolean);
  }

  const scheme = tls ? 'https' : 'http';
  const shownHost = e.HAVEN_HOST === '0.0.0.0' || e.HAVEN_HOST === '::' ? 'localhost' : e.HAVEN_HOST;
  const publicUrl = (e.HAVEN_PUBLIC_URL ?? `${scheme}://${shownHost}:${e.HAVEN_PORT}`).replace(/\/$/, '');
  // Behind a TLS-terminating proxy the browser speaks HTTPS even though we listen on HTTP.
  const https = tls !== null || publicUrl.startsWith('https://');

  let sms: Config['sms'] = { kind: 'outbox', outboxDir: path.join(dataDir, 'outbox', 'sms') };
  if (e.HAVEN_SMS_URL !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(e.HAVEN_SMS_URL);
    } catch {
      problems.push('HAVEN_SMS_URL is not a URL');
    }
    if (url && url.protocol !== 'https:' && url.protocol !== 'http:') problems.push('HAVEN_SMS_URL must be an https:// URL');
    else if (url && url.protocol === 'http:' && e.NODE_ENV === 'production') {
      // The request carries the login code and the number: never in clear text over a network.
      problems.push('HAVEN_SMS_URL must be https:// in production mode (http:// is allowed only outside production)');
    } else if (url && (url.username || url.password)) {
      // fetch refuses such URLs; credentials belong in the header, which is never logged.
      problems.push('HAVEN_SMS_URL must not contain credentials: put them in HAVEN_SMS_AUTH_HEADER (e.g. "Basic <base64>")');
    } else if (url) {
      sms = { kind: 'http', url: url.href, from: e.HAVEN_SMS_FROM, authHeader: e.HAVEN_SMS_AUTH_HEADER ?? null, outboxDir: sms.outboxDir };
    }
  } else if (e.HAVEN_SMS_AUTH_HEADER !== undefined) {
    problems.push('HAVEN_SMS_AUTH_HEADER is set but HAVEN_SMS_URL is not: SMS would go to the outbox');
  }

  if (e.HAVEN_GEO_DB_FILE !== undefined && !existsSync(e.HAVEN_GEO_DB_FILE)) problems.push('HAVEN_GEO_DB_FILE does not exist');

  if (e.NODE_ENV === 'production') {
    // Refuse insecure setups rather than run them quietly (STYLE.md §6).
    if (!tls && trustProxy === false) {
      problems.push('production mode needs TLS (HAVEN_TLS_CERT_FILE/HAVEN_TLS_KEY_FILE) or HAVEN_TRUST_PROXY for a TLS-terminating proxy');
    }
    if (!publicUrl.startsWith('https://')) problems.push('production mode needs an https:// HAVEN_PUBLIC_URL');
    if (!e.HAVEN_AUDIT_SIGNING_KEY_FILE) problems.push('production mode needs HAVEN_AUDIT_SIGNING_KEY_FILE (an explicit audit signing key)');
    if (!e.HAVEN_MASTER_KEY && !e.HAVEN_MASTER_KEY_FILE) problems.push('production mode needs an explicit master key: HAVEN_MASTER_KEY or HAVEN_MASTER_KEY_FILE');
    // Anyone could claim any address (and so any country, or a practice's allowed network).
    if (e.HAVEN_TEST_CLIENT_ADDRESS_HEADER) problems.push('HAVEN_TEST_CLIENT_ADDRESS_HEADER is for tests only and is refused in production mode');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  const config: Config = {
    mode: e.NODE_ENV,
    host: e.HAVEN_HOST,
    port: e.HAVEN_PORT,
    publicUrl,
    dataDir,
    database: e.DATABASE_URL
      ? { engine: 'postgres', url: e.DATABASE_URL, migrationUrl: e.HAVEN_MIGRATION_DATABASE_URL ?? null }
      : { engine: 'pglite', dataDir: path.join(dataDir, 'db') },
    tls,
    trustProxy,
    https,
    mail: { smtpUrl: e.HAVEN_SMTP_URL ?? null, from: e.HAVEN_MAIL_FROM, outboxDir: path.join(dataDir, 'outbox', 'mail') },
    logLevel: e.HAVEN_LOG_LEVEL,
    audit: {
      signingKeyFile: e.HAVEN_AUDIT_SIGNING_KEY_FILE ?? path.join(dataDir, 'keys', 'audit-signing.key'),
      sealIntervalMs: e.HAVEN_AUDIT_SEAL_INTERVAL_MS,
    },
    masterKey: { value: e.HAVEN_MASTER_KEY, file: e.HAVEN_MASTER_KEY_FILE ?? path.join(dataDir, 'keys', 'master.key') },
    rateLimit: { perMinute: e.HAVEN_RATE_LIMIT_PER_MINUTE, loginPerMinute: e.HAVEN_LOGIN_RATE_LIMIT_PER_MINUTE },
    session: { absoluteHours: e.HAVEN_SESSION_ABSOLUTE_HOURS },
    bodyLimitBytes: e.HAVEN_BODY_LIMIT_BYTES,
    blobDir: path.resolve(e.HAVEN_BLOB_DIR ?? path.join(dataDir, 'blobs')),
    uploadMaxBytes: e.HAVEN_UPLOAD_MAX_BYTES,
    serveWeb: e.HAVEN_SERVE_WEB,
    sms,
    geo: { dbFile: e.HAVEN_GEO_DB_FILE ? path.resolve(e.HAVEN_GEO_DB_FILE) : null },
    keyCacheEntries: e.HAVEN_KEY_CACHE_ENTRIES,
    testClientAddressHeader: e.HAVEN_TEST_CLIENT_ADDRESS_HEADER && e.NODE_ENV !== 'production',
    ...overrides,
  };
  return Object.freeze(config);
}
