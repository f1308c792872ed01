import type { FastifyInstance } from 'fastify';
import { pendingResets } from '../../src/features/auth/password-service.ts';
import { multipartBody, type UploadFile } from './sample-files.ts';

export interface TestResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
  setCookies: string[];
}

/**
 * A browser stand-in over app.inject(): keeps cookies like a browser (honouring deletions),
 * and sends the CSRF header from the CSRF cookie the way the web app does.
 */
export class TestAgent {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly app: FastifyInstance,
    readonly options: { ip?: string; userAgent?: string } = {},
  ) {}

  csrfToken(): string | undefined {
    return this.cookies.get('haven_csrf') ?? this.cookies.get('__Host-haven_csrf');
  }

  async request<T = any>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
    options: { csrf?: boolean | string; headers?: Record<string, string>; rawBody?: string | Buffer } = {},
  ): Promise<TestResponse<T>> {
    if (method !== 'GET' && options.csrf !== false && !this.csrfToken()) await this.request('GET', '/api/v1/auth/session');
    const headers: Record<string, string> = {
      'user-agent': this.options.userAgent ?? 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36',
      ...options.headers,
    };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (method !== 'GET' && options.csrf !== false) headers['x-csrf-token'] = typeof options.csrf === 'string' ? options.csrf : (this.csrfToken() ?? '');
    let payload: string | Buffer | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await this.app.inject({ method, url, headers, payload, remoteAddress: this.options.ip ?? '127.0.0.1' });
    // Work a route does after answering (a reset request) has finished before the test looks.
    await Promise.all([...pendingResets]);
    const setCookie = response.headers['set-cookie'];
    const setCookies = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
    for (const cookie of setCookies) {
      const [pair = ''] = cookie.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const value = pair.slice(index + 1);
      if (!value || /Expires=Thu, 01 Jan 1970/i.test(cookie) || /Max-Age=0/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    let parsed: unknown = response.body;
    try {
      parsed = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: response.statusCode, body: parsed as T, headers: response.headers, setCookies };
  }

  /** Sends files as the web app does: `multipart/form-data`, one part per file (field `file`). */
  upload<T = any>(url: string, ...files: UploadFile[]) {
    const { body, contentType } = multipartBody(files);
    return this.request<T>('POST', url, undefined, { rawBody: body, headers: { 'content-type': contentType } });
  }

  get<T = any>(url: string) {
    return this.request<T>('GET', url);
  }
  post<T = any>(url: string, body?: unknown, options?: Parameters<TestAgent['request']>[3]) {
    return this.request<T>('POST', url, body ?? {}, options);
  }
  patch<T = any>(url: string, body?: unknown) {
    return this.request<T>('PATCH', url, body);
  }
  put<T = any>(url: string, body?: unknown) {
    return this.request<T>('PUT', url, body);
  }
  delete<T = any>(url: string) {
    return this.request<T>('DELETE', url);
  }
}
