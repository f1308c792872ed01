import { loadConfig } from '../apps/server/src/core/config.ts';

/**
 * The configuration every bench process shares: rate limits at their highest (100,000 requests a
 * minute per address and process), since all the load comes from one address.
 */
export function benchConfig(dataDir = '/tmp/haven-bench') {
  return loadConfig({
    HAVEN_DATA_DIR: dataDir,
    HAVEN_LOG_LEVEL: 'silent',
    HAVEN_SERVE_WEB: 'false',
    HAVEN_RATE_LIMIT_PER_MINUTE: '100000',
    HAVEN_LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
  });
}
