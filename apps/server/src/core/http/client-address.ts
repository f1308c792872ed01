import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';

/** The test-only header that sets the client address (HAVEN_TEST_CLIENT_ADDRESS_HEADER). */
export const testClientAddressHeader = 'x-haven-test-client-address';

/**
 * The client's address as Haven uses it (audit, allowlists, country): the socket's, or the
 * forwarded one when HAVEN_TRUST_PROXY names the proxy (Fastify's `request.ip`). Only in a test
 * setup (config refuses the switch in production) may a request name its own address, so that
 * end-to-end tests can sign in "from another country"; anything not an address is ignored.
 */
export function clientAddress(request: FastifyRequest, config: Pick<Config, 'testClientAddressHeader'>): string | null {
  if (config.testClientAddressHeader) {
    const claimed = request.headers[testClientAddressHeader];
    if (typeof claimed === 'string' && isIP(claimed.trim()) !== 0) return claimed.trim();
  }
  return request.ip ?? null;
}
