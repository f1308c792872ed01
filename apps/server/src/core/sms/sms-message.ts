/**
 * What every SMS gateway accepts. Callers send after the transaction that caused the message
 * committed (STYLE.md §7) and decide themselves whether a failure is worth telling the user.
 */
export interface SmsMessage {
  /** The recipient in E.164 (`+31612345678`): run input through `normalisePhoneNumber()` first. */
  to: string;
  /** The text as the phone shows it. May hold a one-time code: never logged. */
  text: string;
  /** Why it was sent, e.g. `login_code`: logged and listed, so never personal data. */
  purpose: string;
}

export interface SmsGateway {
  send(message: SmsMessage): Promise<void>;
}

/** Sending failed: the provider refused (its HTTP status), did not answer in time, or was unreachable. */
export class SmsDeliveryError extends Error {
  override name = 'SmsDeliveryError';
  constructor(
    readonly reason: 'status' | 'timeout' | 'network',
    /** The provider's HTTP status when it answered with a non-2xx status; null otherwise. */
    readonly status: number | null,
    options?: { cause?: unknown },
  ) {
    // Neither the number, nor the text, nor the provider's body (it may echo both) goes in here.
    super(reason === 'status' ? `SMS provider answered HTTP ${status}` : reason === 'timeout' ? 'SMS provider did not answer in time' : 'SMS provider unreachable', options);
  }
}

const E164 = /^\+[1-9]\d{6,14}$/;
const PURPOSE = /^[a-z][a-z0-9_]{0,39}$/;
/** Long enough for a few concatenated SMS; a longer text is a bug, not a message. */
const MAX_TEXT_LENGTH = 640;

/**
 * Refuses a message no gateway should send: a recipient not in E.164, an empty or overlong
 * text, or a purpose that is not a short snake_case word (it is logged, so it must not be able
 * to carry personal data). Throws a plain Error: these are programming mistakes.
 */
export function checkSmsMessage(message: SmsMessage): void {
  if (!E164.test(message.to)) throw new Error('SMS recipient must be an E.164 number (use normalisePhoneNumber)');
  if (!message.text || message.text.length > MAX_TEXT_LENGTH) throw new Error(`SMS text must be 1–${MAX_TEXT_LENGTH} characters`);
  if (!PURPOSE.test(message.purpose)) throw new Error('SMS purpose must be a short snake_case word, e.g. login_code');
}
