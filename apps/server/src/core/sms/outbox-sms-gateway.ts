import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.ts';
import { newId } from '../security/tokens.ts';
import { checkSmsMessage, type SmsGateway, type SmsMessage } from './sms-message.ts';

/** One message in the SMS outbox, as written to `<data dir>/outbox/sms/*.json`. */
export interface SmsOutboxEntry {
  to: string;
  text: string;
  purpose: string;
  createdAt: string;
  file: string;
}

/**
 * The default gateway: nothing leaves the machine. Each message becomes a JSON file (mode 0600,
 * in a directory of mode 0700: it holds numbers and codes) named like the mail outbox's files,
 * `<ISO time>-<random>.json`, so names sort by time and two messages in the same millisecond
 * never collide. `npx haven outbox` lists them — enough for a trial, not for a practice.
 */
export class OutboxSmsGateway implements SmsGateway {
  constructor(private readonly options: { dir: string; logger: Pick<Logger, 'info'> }) {}

  async send(message: SmsMessage): Promise<void> {
    checkSmsMessage(message);
    const { dir, logger } = this.options;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdir's mode does not apply to a directory that already existed (e.g. made by hand).
    chmodSync(dir, 0o700);
    const createdAt = new Date().toISOString();
    const file = path.join(dir, `${createdAt.replace(/[:.]/g, '-')}-${newId().slice(0, 8)}.json`);
    const entry = { to: message.to, text: message.text, purpose: message.purpose, createdAt };
    // 'wx': never overwrite, even if the random part ever repeated.
    writeFileSync(file, `${JSON.stringify(entry)}\n`, { mode: 0o600, flag: 'wx' });
    logger.info({ purpose: message.purpose }, 'sms written to outbox');
  }
}

/** The newest `limit` messages in an SMS outbox directory, oldest first (newest last). */
export function readSmsOutbox(dir: string, limit = 10): SmsOutboxEntry[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
  return names
    .slice(Math.max(0, names.length - Math.max(0, limit)))
    .flatMap((name) => {
      const file = path.join(dir, name);
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SmsOutboxEntry>;
        return [{ to: String(parsed.to ?? ''), text: String(parsed.text ?? ''), purpose: String(parsed.purpose ?? ''), createdAt: String(parsed.createdAt ?? ''), file }];
      } catch {
        // A half-written or foreign file must not hide the others.
        return [];
      }
    });
}
