import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { HttpSmsGateway } from './http-sms-gateway.ts';
import { OutboxSmsGateway } from './outbox-sms-gateway.ts';
import type { SmsGateway } from './sms-message.ts';

/** The gateway the configuration asks for: the HTTP provider when HAVEN_SMS_URL is set, else the outbox. */
export function createSmsGateway(config: Config['sms'], logger: Logger): SmsGateway {
  if (config.kind === 'http') {
    // The origin only: a path or query string could carry a provider's key.
    logger.info({ smsProvider: new URL(config.url).origin }, 'sms goes to an HTTP provider');
    return new HttpSmsGateway({ url: config.url, from: config.from, authHeader: config.authHeader, logger });
  }
  return new OutboxSmsGateway({ dir: config.outboxDir, logger });
}
