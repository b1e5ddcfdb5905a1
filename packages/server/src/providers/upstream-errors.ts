import { MojiError } from '@moji/contracts';

import type { ProviderCall } from './provider.js';

type HeaderValue = string | string[] | undefined;

// OpenAI's SDKs retry a 429 within seconds unless told not to; past a minute, they are told.
const LONGEST_RETRY_SECONDS = 60;
// An upstream's wait is passed on as it came, up to a day: past that it is no longer a wait.
const MAX_RETRY_AFTER_SECONDS = 86_400;

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

// Failures of the connection before any answer: the request may be sent again.
const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;

  return typeof code === 'string' ? code : undefined;
}

/** The wait an upstream asked for, in whole seconds (1 to a day); 1 when it named none. */
export function retryAfterSeconds(value: HeaderValue, now = Date.now()): number {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return 1;
  const seconds = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : (Date.parse(text) - now) / 1000;

  if (Number.isNaN(seconds)) return 1;

  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds)));
}

/** Whether a failure to reach the upstream may be retried (it had not answered yet). */
export function isRetryableTransportError(error: unknown): boolean {
  const code = errorCode(error) ?? errorCode((error as { cause?: unknown } | null)?.cause);

  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** Whether a failure came from the connection (undici's or the system's), not from a bug. */
export function isNetworkError(error: unknown): boolean {
  const code = errorCode(error);

  return code !== undefined && (code.startsWith('UND_ERR') || /^E[A-Z]+$/.test(code));
}

/** Whether a failure is the upstream not answering in time. */
export function isTimeout(error: unknown): boolean {
  const code = errorCode(error);

  return code !== undefined && TIMEOUT_CODES.has(code);
}

/** The error for an upstream that did not answer, or answered with a broken connection. */
export function transportError(error: unknown): MojiError {
  if (error instanceof MojiError) return error;
  if (isTimeout(error)) {
    return new MojiError('UPSTREAM_TIMEOUT', 'The model provider did not answer in time', {
      cause: error,
    });
  }

  return new MojiError('UPSTREAM_ERROR', 'The model provider could not be reached', {
    cause: error,
  });
}

/**
 * The error for an upstream's non-2xx answer. Its body is never read into the message: it
 * may echo the key or the prompt, so the client gets Moji's own words.
 */
export function statusError(
  status: number,
  headers: Record<string, HeaderValue>,
  call: ProviderCall,
): MojiError {
  const details = { source: 'upstream', upstream_status: status };
  if (status === 429) {
    const wait = retryAfterSeconds(headers['retry-after']);
    const retryHeaders: Record<string, string> = { 'Retry-After': String(wait) };
    if (wait > LONGEST_RETRY_SECONDS) retryHeaders['x-should-retry'] = 'false';

    return new MojiError('RATE_LIMIT_EXCEEDED', 'The model provider is rate limiting requests', {
      details,
      headers: retryHeaders,
    });
  }
  if (status === 404 && call.passThrough) {
    return new MojiError('NOT_FOUND', `Model "${call.modelName}" not found`, {
      details: { ...details, param: 'model' },
    });
  }
  if (status === 400 || status === 413 || status === 422) {
    return new MojiError('VALIDATION_ERROR', 'The model provider rejected the request as invalid', {
      details: { ...details, issues: [] },
    });
  }
  if (status >= 500) {
    return new MojiError('UPSTREAM_ERROR', 'The model provider failed', { details });
  }

  return new MojiError('UPSTREAM_ERROR', 'The model provider refused the request', { details });
}
