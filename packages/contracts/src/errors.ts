/** Every error code the API answers with, its OpenAI-style type and its HTTP status. */
export const errorCodes = {
  AUTH_FAILED: { type: 'authentication_error', status: 401 },
  AUTH_FORBIDDEN: { type: 'permission_error', status: 403 },
  VALIDATION_ERROR: { type: 'invalid_request_error', status: 400 },
  NOT_FOUND: { type: 'invalid_request_error', status: 404 },
  METHOD_NOT_ALLOWED: { type: 'invalid_request_error', status: 405 },
  CONFLICT: { type: 'invalid_request_error', status: 409 },
  PAYLOAD_TOO_LARGE: { type: 'invalid_request_error', status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { type: 'invalid_request_error', status: 415 },
  RATE_LIMIT_EXCEEDED: { type: 'rate_limit_error', status: 429 },
  INTERNAL_ERROR: { type: 'api_error', status: 500 },
  UPSTREAM_ERROR: { type: 'api_error', status: 502 },
  SERVICE_UNAVAILABLE: { type: 'api_error', status: 503 },
  UPSTREAM_TIMEOUT: { type: 'api_error', status: 504 },
} as const;

/** One of the contract's error codes, such as `NOT_FOUND`. */
export type ErrorCode = keyof typeof errorCodes;

/** The kind of an error, in OpenAI's words (`invalid_request_error`, ...). */
export type ErrorType = (typeof errorCodes)[ErrorCode]['type'];

/** Extra facts about an error; always an object. */
export type ErrorDetails = Record<string, unknown>;

/** The body of every error answered over REST and in a failed stream. */
export interface ErrorEnvelope {
  error: { message: string; type: ErrorType; code: ErrorCode; details: ErrorDetails };
}

/** Tells whether a string is one of the contract's error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}

/**
 * The one application error: a contract code, a message safe to show, details and the
 * response headers it calls for (`Retry-After`, `Allow`, ...).
 *
 * @example
 * throw new MojiError('NOT_FOUND', 'Session not found');
 */
export class MojiError extends Error {
  override readonly name = 'MojiError';
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: ErrorDetails; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }

  /** The HTTP status the contract gives this error's code. */
  get status(): number {
    return errorCodes[this.code].status;
  }

  /** The error as the contract's envelope. */
  toEnvelope(): ErrorEnvelope {
    return {
      error: {
        message: this.message,
        type: errorCodes[this.code].type,
        code: this.code,
        details: this.details,
      },
    };
  }
}
