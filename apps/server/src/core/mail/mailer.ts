import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '../logger.ts';
import { newId } from '../security/tokens.ts';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Links in the message, recorded beside an outbox copy so `haven outbox` can list them. */
  links: string[];
  /** Template name, for the outbox listing and tests; never personal data. */
  template: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

/**
 * SMTP when HAVEN_SMTP_URL is set; otherwise the outbox: each message is written as an .eml file
 * (mode 0600) under data/outbox/mail, with a small JSON index entry, so a single-machine install
 * works without a mail server and `npx haven outbox` shows what would have been sent.
 */
export function createMailer(options: { smtpUrl: string | null; from: string; outboxDir: string; logger: Logger }): Mailer {
  if (options.smtpUrl) {
    const transport: Transporter = nodemailer.createTransport(options.smtpUrl);
    return {
      async send(mail) {
        await transport.sendMail({ from: options.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
        options.logger.info({ template: mail.template }, 'mail sent');
      },
    };
  }
  const render: Transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await render.sendMail({ from: options.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
      mkdirSync(options.outboxDir, { recursive: true, mode: 0o700 });
      const base = `${new Date().toISOString().replace(/[:.]/g, '-')}-${newId().slice(0, 8)}`;
      writeFileSync(path.join(options.outboxDir, `${base}.eml`), info.message as Buffer, { mode: 0o600 });
      writeFileSync(
        path.join(options.outboxDir, `${base}.json`),
        JSON.stringify({ to: mail.to, subject: mail.subject, template: mail.template, links: mail.links, sentAt: new Date().toISOString() }),
        { mode: 0o600 },
      );
      options.logger.info({ template: mail.template }, 'mail written to outbox');
    },
  };
}

/** Keeps sent mail in memory: for tests. */
export class MemoryMailer implements Mailer {
  readonly sent: OutgoingMail[] = [];
  async send(mail: OutgoingMail): Promise<void> {
    this.sent.push(mail);
  }
  /** The newest mail to `to` (optionally of one template). */
  last(to: string, template?: string): OutgoingMail | undefined {
    return [...this.sent].reverse().find((mail) => mail.to === to && (!template || mail.template === template));
  }
  /** The token in the newest link to `to`. */
  lastToken(to: string, template?: string): string {
    const link = this.last(to, template)?.links[0];
    const token = link ? /#token=([A-Za-z0-9_-]+)/.exec(link)?.[1] : undefined;
    if (!token) throw new Error(`no link mailed to ${to}${template ? ` (${template})` : ''}`);
    return token;
  }
}

/**
 * Sends mails after the transaction that caused them committed, without making the request wait:
 * a slow mail server must not slow a login (or reveal through timing that an account exists).
 */
export function sendAfterCommit(mailer: Mailer, logger: Pick<Logger, 'error'>, mails: OutgoingMail[]): void {
  for (const mail of mails) {
    mailer.send(mail).catch((error: unknown) => logger.error({ template: mail.template, errorClass: (error as Error)?.name }, 'sending mail failed'));
  }
}
