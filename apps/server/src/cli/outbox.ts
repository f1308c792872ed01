import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

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
