import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatOutbox, formatOutboxes, formatSmsOutbox } from '../../cli/outbox.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { MemorySmsGateway } from './memory-sms-gateway.ts';
import { OutboxSmsGateway, readSmsOutbox } from './outbox-sms-gateway.ts';
import { createSmsGateway } from './sms-gateway.ts';

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'haven-sms-'));
const mode = (file: string) => statSync(file).mode & 0o777;

describe('the SMS outbox', () => {
  it('writes each message as its own JSON file, readable by the owner only', async () => {
    const dir = path.join(tempDir(), 'outbox', 'sms');
    const lines: string[] = [];
    const gateway = new OutboxSmsGateway({ dir, logger: createLogger('info', { write: (line: string) => void lines.push(line) }) });
    await gateway.send({ to: '+31612345678', text: 'Your Haven code: 123456', purpose: 'login_code' });
    await gateway.send({ to: '+4915123456789', text: 'Ihr Haven-Code: 654321', purpose: 'login_code' });

    const files = readdirSync(dir);
    expect(files).toHaveLength(2);
    for (const file of files) {
      expect(file).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-f]{8}\.json$/);
      expect(mode(path.join(dir, file))).toBe(0o600);
    }
    expect(mode(dir)).toBe(0o700);
    // Two messages in the same millisecond have the same time prefix: find the first by content.
    const written = files.map((file) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    const first = written.find((message) => message.to === '+31612345678');
    expect(first).toEqual({ to: '+31612345678', text: 'Your Haven code: 123456', purpose: 'login_code', createdAt: expect.any(String) });
    expect(new Date(first.createdAt).toISOString()).toBe(first.createdAt);

    // The log says that something was written and why, never to whom or what.
    const log = lines.join('');
    expect(log).toContain('login_code');
    expect(log).not.toMatch(/612345678|15123456789|123456|654321/);
  });

  it('is what Haven uses when no provider is configured, under DATA_DIR/outbox/sms', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ HAVEN_DATA_DIR: dataDir });
    const gateway = createSmsGateway(config.sms, createLogger('silent'));
    expect(gateway).toBeInstanceOf(OutboxSmsGateway);
    await gateway.send({ to: '+31612345678', text: 'Your Haven code: 123456', purpose: 'login_code' });
    expect(readSmsOutbox(path.join(dataDir, 'outbox', 'sms')).map((entry) => entry.text)).toEqual(['Your Haven code: 123456']);
  });

  it('never collides and keeps time order, even within one millisecond', async () => {
    const dir = tempDir();
    const gateway = new OutboxSmsGateway({ dir, logger: createLogger('silent') });
    await Promise.all(Array.from({ length: 50 }, (_, i) => gateway.send({ to: '+31612345678', text: `message ${i}`, purpose: 'test' })));
    expect(readdirSync(dir)).toHaveLength(50);
    const listed = readSmsOutbox(dir, 100);
    expect(listed).toHaveLength(50);
    const times = listed.map((entry) => entry.createdAt);
    expect(times).toEqual([...times].sort());
  });

  it('tightens a directory that already existed with wider permissions', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'sms'), { mode: 0o755 });
    await new OutboxSmsGateway({ dir: path.join(dir, 'sms'), logger: createLogger('silent') }).send({ to: '+31612345678', text: 'x', purpose: 'test' });
    expect(mode(path.join(dir, 'sms'))).toBe(0o700);
  });

  it('lists the newest messages, newest last, and skips files it cannot read', async () => {
    const dir = tempDir();
    const write = (name: string, entry: object) => writeFileSync(path.join(dir, name), JSON.stringify(entry));
    write('2026-01-01T10-00-00-000Z-aaaaaaaa.json', { to: '+31612345678', text: 'first', purpose: 'login_code', createdAt: '2026-01-01T10:00:00.000Z' });
    write('2026-01-01T11-00-00-000Z-bbbbbbbb.json', { to: '+31612345678', text: 'second', purpose: 'login_code', createdAt: '2026-01-01T11:00:00.000Z' });
    write('2026-01-01T12-00-00-000Z-cccccccc.json', { to: '+436641234567', text: 'third', purpose: 'phone_verification', createdAt: '2026-01-01T12:00:00.000Z' });
    writeFileSync(path.join(dir, '2026-01-01T13-00-00-000Z-dddddddd.json'), '{ half-writ');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a message');

    expect(readSmsOutbox(dir, 2).map((entry) => entry.text)).toEqual(['third']);
    expect(readSmsOutbox(dir, 3).map((entry) => entry.text)).toEqual(['second', 'third']);
    expect(readSmsOutbox(dir).map((entry) => entry.text)).toEqual(['first', 'second', 'third']);
    expect(readSmsOutbox(path.join(dir, 'missing'))).toEqual([]);
  });

  it('refuses messages no gateway should send', async () => {
    const gateway = new OutboxSmsGateway({ dir: tempDir(), logger: createLogger('silent') });
    await expect(gateway.send({ to: '0612345678', text: 'x', purpose: 'login_code' })).rejects.toThrow(/E\.164/);
    await expect(gateway.send({ to: '+31612345678', text: '', purpose: 'login_code' })).rejects.toThrow(/text/);
    await expect(gateway.send({ to: '+31612345678', text: 'x'.repeat(641), purpose: 'login_code' })).rejects.toThrow(/text/);
    await expect(gateway.send({ to: '+31612345678', text: 'x', purpose: 'code for jan@example.org' })).rejects.toThrow(/purpose/);
  });
});

describe('`haven outbox`', () => {
  it('shows e-mails and SMS under their own headings, SMS newest last', async () => {
    const root = tempDir();
    const smsDir = path.join(root, 'sms');
    const gateway = new OutboxSmsGateway({ dir: smsDir, logger: createLogger('silent') });
    await gateway.send({ to: '+31612345678', text: 'Your Haven code: 111111', purpose: 'login_code' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await gateway.send({ to: '+31612345678', text: 'Your Haven code: 222222', purpose: 'login_code' });

    const output = formatOutboxes({ dir: path.join(root, 'mail'), limit: 10 }, { dir: smsDir, limit: 10 });
    expect(output).toMatch(/^== E-mail ==\n\nThe outbox \(.*mail\) is empty\.\n/);
    const sms = output.slice(output.indexOf('== SMS =='));
    expect(sms).toContain('Newest 2 SMS in');
    expect(sms).toContain('to +31612345678  (login_code)');
    expect(sms.indexOf('111111')).toBeLessThan(sms.indexOf('222222'));
  });

  it('keeps the e-mail listing as it was, and says when the SMS outbox is empty', () => {
    expect(formatOutbox([], '/data/outbox/mail')).toBe('The outbox (/data/outbox/mail) is empty.\n');
    expect(formatSmsOutbox([], '/data/outbox/sms')).toBe('The SMS outbox (/data/outbox/sms) is empty.\n');
  });
});

describe('MemorySmsGateway', () => {
  it('keeps messages and finds the newest 6-digit code per recipient', async () => {
    const sms = new MemorySmsGateway();
    await sms.send({ to: '+31612345678', text: 'Your Haven code: 123456. It expires in 10 minutes.', purpose: 'login_code' });
    await sms.send({ to: '+4915123456789', text: 'Ihr Code: 000111', purpose: 'login_code' });
    await sms.send({ to: '+31612345678', text: '654321 is your Haven code', purpose: 'phone_verification' });
    expect(sms.sent).toHaveLength(3);
    expect(sms.lastCode('+31612345678')).toBe('654321');
    expect(sms.lastCode('+31612345678', 'login_code')).toBe('123456');
    expect(sms.lastCode('+4915123456789')).toBe('000111');
    expect(() => sms.lastCode('+436641234567')).toThrow(/no 6-digit code/);
  });

  it('does not take a code out of a longer number', async () => {
    const sms = new MemorySmsGateway();
    await sms.send({ to: '+31612345678', text: 'Call 0201234567 for help', purpose: 'notice' });
    expect(() => sms.lastCode('+31612345678')).toThrow();
  });
});
