import { describe, expect, it } from 'vitest';
import { countsTowardRateLimit } from './rate-limit.ts';

describe('which requests count toward the rate limits', () => {
  it('counts every API request, with or without a query', () => {
    for (const url of ['/api/v1/auth/login', '/api/v1/patients?q=ja', '/api/openapi.json', '/api/docs/', '/api', '/api?x=1']) expect(countsTowardRateLimit(url), url).toBe(true);
  });

  it("leaves out the web app's page, scripts, styles and icon, which every page load asks for", () => {
    for (const url of ['/', '/login', '/patients/8d0c7d1e', '/assets/index-IA6RpQJC.js', '/assets/index-D60irXm_.css', '/favicon.svg', '/apiary', '/apis/x']) expect(countsTowardRateLimit(url), url).toBe(false);
  });
});
