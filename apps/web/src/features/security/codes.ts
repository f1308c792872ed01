import { api } from '../../lib/api';
import type { SecuritySummaryBody } from '../../lib/types';

/**
 * Small helpers for second-factor codes. The server is forgiving (spaces, hyphens and case do
 * not matter in recovery codes; O reads as 0, I and L as 1), so the web app only checks the shape
 * before sending, to say "that is not a code" without spending one of the limited attempts.
 */

/** The digits of a typed authenticator code ("123 456" → "123456"). */
export const totpDigits = (value: string): string => value.replace(/\D+/g, '');

export const isTotpCode = (value: string): boolean => /^\d{6}$/.test(totpDigits(value));

/** A recovery code is 28 letters and digits, shown as seven groups of four with hyphens. */
export const isRecoveryCodeShape = (value: string): boolean => /^[0-9A-Za-z]{28}$/.test(value.replace(/[\s-]+/g, ''));

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP", for reading out and typing. */
export const inGroupsOfFour = (value: string): string => value.match(/.{1,4}/g)?.join(' ') ?? value;

/** The query of `GET /me/security` (My security, step-up, the security settings page). */
export const securitySummaryKey = ['my-security'] as const;
export const fetchSecuritySummary = (): Promise<SecuritySummaryBody> => api.get<SecuritySummaryBody>('/me/security');

/** Copies text; falls back to a hidden text area where the Clipboard API is missing (plain HTTP). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}

/** Saves text as a file through a download link (nothing leaves the browser). */
export function downloadText(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
