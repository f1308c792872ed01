import type { Logger } from '../logger.ts';
import { checkSmsMessage, SmsDeliveryError, type SmsGateway, type SmsMessage } from './sms-message.ts';

export interface HttpSmsGatewayOptions {
  /** HAVEN_SMS_URL: where the message is POSTed (https in production; config checks). */
  url: string;
  /** HAVEN_SMS_FROM: the sender id the provider shows (an alphanumeric name or a number). */
  from: string;
  /** HAVEN_SMS_AUTH_HEADER: the whole `Authorization` value, e.g. `Bearer …`. A secret. */
  authHeader: string | null;
  logger: Pick<Logger, 'info'>;
  /** How long to wait for the provider's answer; 10 s by default. */
  timeoutMs?: number;
}

/**
 * A generic HTTP SMS provider. The contract (docs/operations.md, "SMS"):
 *
 *     POST <HAVEN_SMS_URL>
 *     Content-Type: application/json
 *     Authorization: <HAVEN_SMS_AUTH_HEADER>        (only when set)
 *
 *     { "from": "<HAVEN_SMS_FROM>", "to": "+31612345678", "text": "…" }
 *
 * Any 2xx answer means accepted; its body is ignored. Anything else — another status, no
 * answer within the timeout, no connection — is a SmsDeliveryError carrying only the status
 * (or why there is none): the provider's body may echo the number and the code, so it is
 * never read. Providers with another request shape sit behind a small adapter.
 */
export class HttpSmsGateway implements SmsGateway {
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpSmsGatewayOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async send(message: SmsMessage): Promise<void> {
    checkSmsMessage(message);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.options.authHeader) headers.authorization = this.options.authHeader;
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ from: this.options.from, to: message.to, text: message.text }),
        signal: AbortSignal.timeout(this.timeoutMs),
        // A redirect would carry the number and the code to an address nobody configured.
        redirect: 'manual',
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new SmsDeliveryError(timedOut ? 'timeout' : 'network', null, { cause: error });
    }
    // The body is never read (see above); cancelling it frees the connection.
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) throw new SmsDeliveryError('status', response.status);
    this.options.logger.info({ purpose: message.purpose, status: response.status }, 'sms sent');
  }
}
