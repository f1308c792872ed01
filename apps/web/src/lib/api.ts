import type { ErrorBody, ErrorCode } from '@haven/contracts';

/**
 * The one way the web app talks to the Haven API (`/api/v1`).
 *
 * - JSON in and out (uploads: `multipart/form-data`, see {@link apiUpload}), cookies
 *   `same-origin` only; the session cookie is HttpOnly and never touched here, and no token is
 *   ever written to storage.
 * - CSRF: every non-GET request echoes the `haven_csrf` (or `__Host-haven_csrf` over HTTPS)
 *   cookie in the `x-csrf-token` header (double-submit). The server sets that cookie on any
 *   GET, so when it is missing we make one GET first.
 * - Errors become {@link ApiError} with the stable code from the contract; listeners hear
 *   about session-wide errors (SESSION_LOCKED, SESSION_EXPIRED) so the lock screen can react
 *   wherever the call came from.
 */

export const apiBase = '/api/v1';

export type FieldProblem = { path: string; issue: string };

/** An error answered by the API (or a network failure, code `NETWORK`). */
export class ApiError extends Error {
  readonly code: ErrorCode | 'NETWORK';
  readonly status: number;
  readonly fields: FieldProblem[];
  readonly requestId: string | null;
  readonly retryAfterSeconds: number | null;

  constructor(init: {
    code: ErrorCode | 'NETWORK';
    status: number;
    message: string;
    fields?: FieldProblem[] | undefined;
    requestId?: string | null | undefined;
    retryAfterSeconds?: number | null | undefined;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.code = init.code;
    this.status = init.status;
    this.fields = init.fields ?? [];
    this.requestId = init.requestId ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }
}

export const isApiError = (error: unknown, code?: ErrorCode | 'NETWORK'): error is ApiError =>
  error instanceof ApiError && (code === undefined || error.code === code);

type ApiErrorListener = (error: ApiError, path: string) => void;
const listeners = new Set<ApiErrorListener>();

/** Hear about every API error (used by the session module for lock/expiry). */
export function onApiError(listener: ApiErrorListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

let clockOffsetMs = 0;
/** Server time minus browser time, from the `Date` header of the latest response (±1 s). */
export const serverClockOffsetMs = (): number => clockOffsetMs;

const csrfCookieNames = ['__Host-haven_csrf', 'haven_csrf'];

function readCsrfCookie(): string | null {
  const cookies = document.cookie.split(';').map((part) => part.trim());
  for (const name of csrfCookieNames) {
    const found = cookies.find((cookie) => cookie.startsWith(`${name}=`));
    if (found) return decodeURIComponent(found.slice(name.length + 1));
  }
  return null;
}

let csrfPriming: Promise<void> | null = null;
async function ensureCsrfCookie(): Promise<string | null> {
  const existing = readCsrfCookie();
  if (existing) return existing;
  // Any GET sets the cookie; /auth/session is cheap and does not count as activity.
  csrfPriming ??= fetch(`${apiBase}/auth/session`, { credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(() => undefined)
    .catch(() => undefined)
    .finally(() => {
      csrfPriming = null;
    });
  await csrfPriming;
  return readCsrfCookie();
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Query = Record<string, string | number | undefined | null>;

export interface RequestOptions {
  query?: Query | undefined;
  body?: unknown;
  /** A multipart body (uploads); the browser sets its content-type with the boundary. */
  form?: FormData | undefined;
  signal?: AbortSignal | undefined;
}

function buildUrl(path: string, query?: Query): string {
  const url = `${apiBase}${path}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${url}?${search}` : url;
}

/** Sends one request; an answer that is not 2xx is thrown as {@link ApiError}, so callers read only successes. */
async function send(method: Method, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const csrf = await ensureCsrfCookie();
    if (csrf) headers['x-csrf-token'] = csrf;
  }

  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: options.form ?? (options.body === undefined ? null : JSON.stringify(options.body)),
      signal: options.signal ?? null,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    const error = new ApiError({ code: 'NETWORK', status: 0, message: 'The Haven server could not be reached.' });
    notify(error, path);
    throw error;
  }

  const date = response.headers.get('date');
  if (date) {
    const serverNow = Date.parse(date);
    if (!Number.isNaN(serverNow)) clockOffsetMs = serverNow - Date.now();
  }
  if (response.ok) return response;

  const body = (parseJson(await response.text()) as Partial<ErrorBody> | undefined)?.error;
  const error = new ApiError({
    code: body?.code ?? (response.status >= 500 ? 'INTERNAL' : 'MALFORMED_REQUEST'),
    status: response.status,
    message: body?.message ?? response.statusText,
    fields: body?.fields,
    requestId: body?.requestId ?? response.headers.get('x-request-id'),
    retryAfterSeconds: body?.retryAfterSeconds ?? (Number(response.headers.get('retry-after')) || null),
  });
  notify(error, path);
  throw error;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(method, path, options);
  if (response.status === 204) return undefined as T;
  return parseJson(await response.text()) as T;
}

function notify(error: ApiError, path: string): void {
  for (const listener of listeners) listener(error, path);
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
};

/**
 * Uploads one file as `multipart/form-data` in the field `file`; same CSRF, cookies and errors as
 * above. Text `fields` go before the file: the server reads them before it streams the file.
 */
export function apiUpload<T>(path: string, file: File, fields: Record<string, string> = {}): Promise<T> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', file, file.name);
  return request<T>('POST', path, { form });
}

/**
 * Reads a file the API serves (a document's content) into memory, for a preview. `type` is the
 * type the list said the file has, not what the response claims: the preview only ever shows
 * an image, a PDF or text it asked for.
 */
export async function apiBlob(path: string, type: string, signal?: AbortSignal): Promise<Blob> {
  const response = await send('GET', path, { signal });
  return new Blob([await response.arrayBuffer()], { type });
}
