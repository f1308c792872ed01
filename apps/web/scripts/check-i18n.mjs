#!/usr/bin/env node
/**
 * Fails (exit 1) unless en.json, de.json and nl.json have exactly the same keys, every value is
 * a non-empty string, and each translation uses the same {{placeholders}} as the English text.
 * Usage: node apps/web/scripts/check-i18n.mjs
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'i18n');
const languages = ['en', 'de', 'nl'];
const problems = [];

function flatten(value, prefix, out, file) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, out, file);
  } else if (typeof value === 'string') {
    if (!value.trim()) problems.push(`${file}: "${prefix}" is empty`);
    out.set(prefix, value);
  } else {
    problems.push(`${file}: "${prefix}" is not a string`);
  }
  return out;
}

const placeholders = (text) => [...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((match) => match[1]).sort().join(',');

const maps = {};
for (const language of languages) {
  const file = `${language}.json`;
  try {
    maps[language] = flatten(JSON.parse(readFileSync(join(dir, file), 'utf8')), '', new Map(), file);
  } catch (error) {
    problems.push(`${file}: ${error.message}`);
    maps[language] = new Map();
  }
}

const reference = maps.en;
for (const language of languages.filter((l) => l !== 'en')) {
  const map = maps[language];
  for (const key of reference.keys()) {
    if (!map.has(key)) problems.push(`${language}.json: missing "${key}"`);
    else if (placeholders(map.get(key)) !== placeholders(reference.get(key))) {
      problems.push(`${language}.json: "${key}" uses {{${placeholders(map.get(key))}}} but en.json uses {{${placeholders(reference.get(key))}}}`);
    }
  }
  for (const key of map.keys()) if (!reference.has(key)) problems.push(`${language}.json: extra key "${key}" (not in en.json)`);
}

if (problems.length > 0) {
  console.error(`i18n check failed (${problems.length} problem${problems.length === 1 ? '' : 's'}):`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.log(`i18n check passed: ${reference.size} keys in ${languages.join(', ')}.`);
