import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { createMailer } from './mailer.ts';
import { renderMail } from './templates.ts';

/** Mail leaves through a real SMTP conversation when HAVEN_SMTP_URL is set. */
describe('SMTP delivery', () => {
  const received: Array<{ from: string; to: string[]; data: string; user?: string }> = [];
  let server: SMTPServer;
  let port: number;
  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, callback) {
        if (auth.username === 'haven' && auth.password === 'smtp-secret') callback(null, { user: 'haven' });
        else callback(new Error('bad credentials'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            data: Buffer.concat(chunks).toString('utf8'),
            user: session.user as string | undefined,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('authenticates and delivers a German verification mail with its link', async () => {
    const mailer = createMailer({
      smtpUrl: `smtp://haven:smtp-secret@127.0.0.1:${port}`,
      from: 'Praxis-Haven <no-reply@haven.example>',
      outboxDir: '/nonexistent/outbox',
      logger: createLogger('silent'),
    });
    const link = 'https://haven.example/verify-email#token=abcdefghijklmnopqrstuvwxyz012345';
    await mailer.send(renderMail('verify_email', 'de', 'jonas@praxis.example', { name: 'Jonas', organisation: 'Praxis am Rhein' }, link));
    expect(received).toHaveLength(1);
    const [mail] = received;
    expect(mail!.user).toBe('haven');
    expect(mail!.from).toBe('no-reply@haven.example');
    expect(mail!.to).toEqual(['jonas@praxis.example']);
    expect(mail!.data).toMatch(/^Subject: =\?UTF-8\?/m); // "Bestätigen …" encoded
    expect(mail!.data.replace(/=\r?\n/g, '')).toContain('verify-email#token=3Dabcdefghijklmnopqrstuvwxyz012345'); // quoted-printable '='
  });

  it('reports a refused login as a failure instead of losing the mail silently', async () => {
    const mailer = createMailer({ smtpUrl: `smtp://haven:wrong@127.0.0.1:${port}`, from: 'x@haven.example', outboxDir: '/nonexistent', logger: createLogger('silent') });
    await expect(mailer.send(renderMail('password_reset', 'en', 'a@b.example', { name: 'A' }, 'https://haven.example/reset-password#token=x'))).rejects.toThrow();
  });
});
