import { errorCatalogue, type ErrorCode } from '@haven/contracts';

/**
 * The one typed error. `code` picks status and user-safe message from the catalogue;
 * `internal` is for logs only and never reaches the client.
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly options: {
      internal?: string;
      fields?: Array<{ path: string; issue: string }>;
      retryAfterSeconds?: number;
      cause?: unknown;
    } = {},
  ) {
    super(options.internal ?? code, { cause: options.cause });
    this.status = errorCatalogue[code].status;
  }
}

export const isAppError = (value: unknown): value is AppError => value instanceof AppError;
