import { createRequire } from 'node:module';

/**
 * The blocklist: the common-password list shipped with @zxcvbn-ts/language-common (about 49,000
 * entries drawn from breach corpora), lower-cased. NIST 800-63B §5.1.1.2 and ASVS 6.2.4 ask to
 * refuse such passwords; 6.2.11 adds context words, which `checkPassword` handles.
 */
let list: Set<string> | null = null;

export function commonPasswords(): Set<string> {
  if (list) return list;
  const require = createRequire(import.meta.url);
  const dictionary = require('@zxcvbn-ts/language-common').dictionary as Record<string, string[]>;
  const passwords = dictionary['passwords-common'];
  if (!passwords || passwords.length < 10_000) throw new Error('the common-password list is missing or too short');
  list = new Set(passwords.map((entry) => entry.toLowerCase()));
  return list;
}

export const isCommonPassword = (normalised: string): boolean => commonPasswords().has(normalised);
