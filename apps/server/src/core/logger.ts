import pino, { type Logger } from 'pino';

/**
 * Structured logs with redaction. Logs carry request ids and never health data,
 * credentials or personal fields: every path below is censored wherever it appears.
 */
export const redactedPaths = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  // @fastify/multipart logs the parser options, request headers (the session cookie) included, at trace.
  'busboyOptions.headers',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.email',
  '*.name',
  '*.phone',
  '*.street',
  '*.postalCode',
  '*.city',
  '*.body',
  'password',
  'token',
  'email',
  // SMS (core/sms): gateways log only the purpose; these catch a number or the provider's
  // secret should either ever be handed to a logger by mistake.
  'phone',
  'phoneNumber',
  '*.phoneNumber',
  'e164',
  '*.e164',
  'authHeader',
  '*.authHeader',
  '*.*.authHeader',
  // Some providers take their key in the query string of HAVEN_SMS_URL.
  'sms.url',
  '*.sms.url',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      base: { service: 'haven' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        // Only what an operator needs; the URL path never carries personal data (tokens ride in
        // bodies or URL fragments), but the query string is dropped anyway.
        req: (req: { id: string; method: string; url: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
          ip: req.ip,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}
export type { Logger };
