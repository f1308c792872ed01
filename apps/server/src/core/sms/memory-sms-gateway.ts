import { checkSmsMessage, type SmsGateway, type SmsMessage } from './sms-message.ts';

/** Keeps sent messages in memory: for tests (as MemoryMailer does for mail). */
export class MemorySmsGateway implements SmsGateway {
  readonly sent: SmsMessage[] = [];

  async send(message: SmsMessage): Promise<void> {
    checkSmsMessage(message);
    this.sent.push({ ...message });
  }

  /** The newest message to `to` (E.164), optionally of one purpose. */
  last(to: string, purpose?: string): SmsMessage | undefined {
    return [...this.sent].reverse().find((message) => message.to === to && (!purpose || message.purpose === purpose));
  }

  /** The 6-digit code in the newest message to `to`; throws when there is none. */
  lastCode(to: string, purpose?: string): string {
    const text = this.last(to, purpose)?.text;
    const code = text ? /(?<!\d)(\d{6})(?!\d)/.exec(text)?.[1] : undefined;
    if (!code) throw new Error(`no 6-digit code sent by SMS to ${to}${purpose ? ` (${purpose})` : ''}`);
    return code;
  }
}
