import { MojiError, isErrorCode, type ErrorCode } from './errors.js';

interface IssueLike {
  path: PropertyKey[];
  message: string;
  /** zod's `unrecognized_keys` issue lists the keys here. */
  keys?: unknown;
}

const trpcCodeToErrorCode: Record<string, ErrorCode> = {
  PARSE_ERROR: 'VALIDATION_ERROR',
  BAD_REQUEST: 'VALIDATION_ERROR',
  UNAUTHORIZED: 'AUTH_FAILED',
  FORBIDDEN: 'AUTH_FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_SUPPORTED: 'METHOD_NOT_ALLOWED',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  TOO_MANY_REQUESTS: 'RATE_LIMIT_EXCEEDED',
};

function isIssueList(value: unknown): value is IssueLike[] {
  return (
    Array.isArray(value) &&
    value.every((issue) => typeof issue === 'object' && issue !== null && 'path' in issue)
  );
}

// zod reports unknown fields once, at the object's own path: name each field instead.
function expandUnknownKeys(issue: IssueLike): IssueLike[] {
  const keys = issue.keys;
  if (!Array.isArray(keys) || keys.length === 0) return [issue];

  return keys.map((key) => ({
    path: [...issue.path, String(key)],
    message: `Unrecognized field "${String(key)}"`,
  }));
}

/** Turns zod's issues into the contract's `details.issues` and a message naming the first. */
export function validationError(issues: IssueLike[]): MojiError {
  const listed = issues.flatMap(expandUnknownKeys).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const first = listed[0];
  const message = first
    ? `Invalid request: ${first.path ? `${first.path}: ` : ''}${first.message}`
    : 'Invalid request';

  return new MojiError('VALIDATION_ERROR', message, { details: { issues: listed } });
}

function findMojiError(error: unknown): MojiError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (current instanceof MojiError) return current;
    current = current.cause;
  }

  return undefined;
}

/**
 * Maps anything thrown while serving a request to the one application error. Unknown
 * errors become INTERNAL_ERROR with a message that carries no internals.
 */
export function toMojiError(error: unknown): MojiError {
  const known = findMojiError(error);
  if (known) return known;

  const cause = error instanceof Error ? error.cause : undefined;
  // tRPC's output validation fails with the same zod cause, as INTERNAL_SERVER_ERROR: that is
  // the server's fault, never the client's.
  const isOutputError = (error as { code?: unknown } | null)?.code === 'INTERNAL_SERVER_ERROR';
  if (
    !isOutputError &&
    cause &&
    typeof cause === 'object' &&
    'issues' in cause &&
    isIssueList(cause.issues)
  ) {
    return validationError(cause.issues);
  }

  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const mapped = isErrorCode(code) ? code : trpcCodeToErrorCode[code];
    if (mapped === 'VALIDATION_ERROR') {
      return new MojiError(mapped, 'Invalid request: the body could not be read', { cause: error });
    }
    if (mapped === 'NOT_FOUND') return new MojiError(mapped, 'Not found', { cause: error });
    if (mapped) return new MojiError(mapped, (error as Error).message, { cause: error });
  }

  return new MojiError('INTERNAL_ERROR', 'Internal server error', { cause: error });
}
