import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { HttpSmsGateway } from './http-sms-gateway.ts';
import { createSmsGateway } from './sms-gateway.ts';
import { SmsDeliveryError } from './sms-message.ts';

/** The generic HTTP provider against a provider stand-in on 127.0.0.1. */
interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const SECRET = `Bearer sms-secret-${Math.random().toString(36).slice(2)}`;
const NUMBER = '+31612345678';
const TEXT = 'Your Haven code: 493817';

let server: Server;
let base: string;
const received: Received[] = [];
/** What the stand-in does with the next request. */
let answer: (request: Received, res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      answer(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  received.length = 0;
  answer = (_request, res) => res.writeHead(202, { 'content-type': 'application/json' }).end('{"id":"msg-1"}');
});

const gateway = (options: { timeoutMs?: number; authHeader?: string | null; path?: string } = {}) =>
  new HttpSmsGateway({ url: `${base}${options.path ?? '/v1/sms'}`, from: 'Haven', authHeader: options.authHeader === undefined ? SECRET : options.authHeader, logger: createLogger('silent'), timeoutMs: options.timeoutMs });

/** The rejection of `promise`, which must be a SmsDeliveryError. */
async function deliveryError(promise: Promise<unknown>): Promise<SmsDeliveryError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SmsDeliveryError);
  return error as SmsDeliveryError;
}

describe('the HTTP SMS gateway', () => {
  it('POSTs { from, to, text } as JSON with the configured Authorization header', async () => {
    await gateway().send({ to: NUMBER, text: TEXT, purpose: 'login_code' });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/v1/sms');
    expect(request!.headers.authorization).toBe(SECRET);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({ from: 'Haven', to: NUMBER, text: TEXT });
  });

  it('sends no Authorization header when none is configured (e.g. an adapter on localhost)', async () => {
    await gateway({ authHeader: null }).send({ to: NUMBER, text: TEXT, purpose: 'login_code' });
    expect(received[0]!.headers.authorization).toBeUndefined();
  });

  it.each([400, 401, 429, 500, 503])('turns HTTP %i into a SmsDeliveryError with the status and nothing of the message', async (status) => {
    // Providers like to echo what they refused: the number, the text, even the credentials.
    answer = (request, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'refused', echo: request.body, auth: request.headers.authorization }));
    const error = await deliveryError(gateway().send({ to: NUMBER, text: TEXT, purpose: 'login_code' }));
    expect(error.reason).toBe('status');
    expect(error.status).toBe(status);
    expect(error.message).toBe(`SMS provider answered HTTP ${status}`);
    const everything = `${error.message} ${error.stack} ${JSON.stringify(error)} ${String(error.cause)}`;
    for (const leak of [NUMBER, '612345678', '493817', SECRET, 'refused']) expect(everything).not.toContain(leak);
  });

  it('does not follow a redirect: the number and the code go nowhere else', async () => {
    answer = (_request, res) => res.writeHead(307, { location: `${base}/elsewhere` }).end();
    const error = await deliveryError(gateway().send({ to: NUMBER, text: TEXT, purpose: 'login_code' }));
    expect(error.status).toBe(307);
    expect(received.map((request) => request.path)).toEqual(['/v1/sms']);
  });

  it('gives up after the timeout', async () => {
    answer = () => {
      // Never answers.
    };
    const started = performance.now();
    const error = await deliveryError(gateway({ timeoutMs: 200 }).send({ to: NUMBER, text: TEXT, purpose: 'login_code' }));
    expect(error.reason).toBe('timeout');
    expect(error.status).toBeNull();
    expect(error.message).toBe('SMS provider did not answer in time');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('reports a provider that cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = new HttpSmsGateway({ url: `http://127.0.0.1:${port}/sms`, from: 'Haven', authHeader: SECRET, logger: createLogger('silent') });
    const error = await deliveryError(unreachable.send({ to: NUMBER, text: TEXT, purpose: 'login_code' }));
    expect(error.reason).toBe('network');
  });

  it('never writes the secret header, the number or the text to the log', async () => {
    const lines: string[] = [];
    const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
    const config = loadConfig({ HAVEN_SMS_URL: `${base}/v1/sms?account=haven-test`, HAVEN_SMS_AUTH_HEADER: SECRET, HAVEN_SMS_FROM: 'Praxis' });
    const sms = createSmsGateway(config.sms, logger);
    expect(sms).toBeInstanceOf(HttpSmsGateway);

    await sms.send({ to: NUMBER, text: TEXT, purpose: 'login_code' });
    expect(received[0]!.headers.authorization).toBe(SECRET);
    answer = (request, res) => res.writeHead(500).end(request.body);
    const error = await deliveryError(sms.send({ to: NUMBER, text: TEXT, purpose: 'login_code' }));
    // What a caller does with a failure, and what a careless debug line might do with the config.
    logger.error({ err: error, purpose: 'login_code' }, 'sending sms failed');
    logger.debug({ config }, 'configuration');
    logger.debug({ sms: config.sms }, 'sms configuration');
    logger.debug({ authHeader: SECRET, phone: NUMBER, phoneNumber: NUMBER, e164: NUMBER }, 'careless');

    const log = lines.join('');
    expect(log).toContain('sms sent');
    expect(log).toContain('sending sms failed');
    for (const leak of [SECRET, SECRET.slice(7), NUMBER, '493817', 'account=haven-test']) expect(log, leak).not.toContain(leak);
  });
});
