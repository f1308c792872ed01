import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readOutbox } from '../../apps/server/src/cli/outbox.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const baseUrl = process.env.HAVEN_E2E_URL ?? 'http://127.0.0.1:8080';
const dataDir = process.env.HAVEN_E2E_DATA_DIR ?? './data';
export const screenshotDir = process.env.HAVEN_E2E_SCREENSHOTS ?? mkdtempSync(path.join(os.tmpdir(), 'haven-shots-'));

/** Debian's Chromium, headless, with the flags a closed network and root need. Never downloads a browser. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Waits for the newest e-mail to `to` in the outbox (what `npx haven outbox` shows) and returns its link. */
export async function linkFromOutbox(to: string, pathPrefix: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const entry = readOutbox(path.join(dataDir, 'outbox', 'mail'), 50).find((mail) => mail.to === to && mail.links.some((link) => link.includes(pathPrefix)));
    const link = entry?.links.find((candidate) => candidate.includes(pathPrefix));
    if (link) return link;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no mail to ${to} with a ${pathPrefix} link`);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

export const uniqueSuffix = (): string => Math.random().toString(36).slice(2, 8);

/** The web app's own texts, so specs find fields by the labels people read, in each language. */
export function messages(locale: 'en' | 'de' | 'nl'): (key: string, params?: Record<string, string>) => string {
  const tree = JSON.parse(readFileSync(path.resolve(here, `../../apps/web/src/i18n/${locale}.json`), 'utf8')) as Record<string, unknown>;
  return (key, params = {}) => {
    const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], tree);
    if (typeof value !== 'string') throw new Error(`no text ${key} in ${locale}`);
    return value.replace(/\{\{(\w+)\}\}/g, (_, name: string) => params[name] ?? '');
  };
}
