import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readSmsOutbox, type SmsOutboxEntry } from '../core/sms/outbox-sms-gateway.ts';

export interface OutboxEntry {
  to: string;
  subject: string;
  template: string;
  links: string[];
  sentAt: string;
  file: string;
}

/** The newest messages in the local outbox (data/outbox/mail), newest first. */
export function readOutbox(dir: string, limit = 10): OutboxEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .reverse()
    .slice(0, limit)
    .map((file) => ({ ...(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Omit<OutboxEntry, 'file'>), file: path.join(dir, file.replace(/\.json$/, '.eml')) }));
}

export function formatOutbox(entries: OutboxEntry[], dir: string): string {
  if (entries.length === 0) return `The outbox (${dir}) is empty.\n`;
  const lines = [`Newest ${entries.length} message(s) in ${dir}:`, ''];
  for (const entry of entries) {
    lines.push(`${entry.sentAt}  to ${entry.to}`, `  ${entry.subject}`);
    for (const link of entry.links) lines.push(`  ${link}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** The newest SMS in the local SMS outbox (data/outbox/sms), oldest first: newest last, as a phone shows them. */
export function formatSmsOutbox(entries: SmsOutboxEntry[], dir: string): string {
  if (entries.length === 0) return `The SMS outbox (${dir}) is empty.\n`;
  const lines = [`Newest ${entries.length} SMS in ${dir} (newest last):`, ''];
  for (const entry of entries) {
    lines.push(`${entry.createdAt}  to ${entry.to}  (${entry.purpose})`);
    for (const line of entry.text.split('\n')) lines.push(`  ${line}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** What `npx haven outbox` prints: the e-mails, then the SMS, each under its own heading. */
export function formatOutboxes(mail: { dir: string; limit: number }, sms: { dir: string; limit: number }): string {
  return [
    '== E-mail ==',
    '',
    formatOutbox(readOutbox(mail.dir, mail.limit), mail.dir),
    '== SMS ==',
    '',
    formatSmsOutbox(readSmsOutbox(sms.dir, sms.limit), sms.dir),
  ].join('\n');
}
