import type { AppRouter } from '@moji/contracts';
import {
  errorCodes,
  type ErrorCode,
  type ErrorDetails,
  type ErrorType,
} from '@moji/contracts/schemas';
import { TRPCClientError } from '@trpc/client';

/** A contract error code, or `NETWORK_ERROR` when no answer came from the server. */
export type MojiClientErrorCode = ErrorCode | 'NETWORK_ERROR';

function codeOfStatus(status: number): MojiClientErrorCode {
  if (status === 0) return 'NETWORK_ERROR';
  const codes = Object.keys(errorCodes) as ErrorCode[];

  return codes.find((code) => errorCodes[code].status === status) ?? 'INTERNAL_ERROR';
}

function responseOf(error: TRPCClientError<AppRouter>): Response | undefined {
  const response = error.meta?.['response'];

  return response instanceof Response ? response : undefined;
}

/**
 * The one error every call of a Moji client fails with: the contract's `code`, the HTTP
 * `status` and the server's `requestId` (quote it when reporting a problem). It is a
 * `TRPCClientError`, so tRPC tooling keeps working with it.
 *
 * @example
 * try {
 *   await moji.sessions.listMessages.query({ session_id: id });
 * } catch (error) {
 *   if (error instanceof MojiClientError && error.code === 'NOT_FOUND') return [];
 *   throw error;
 * }
 */
export class MojiClientError extends TRPCClientError<AppRouter> {
  override readonly name = 'MojiClientError';
  /** The contract's error code, such as `NOT_FOUND`; `NETWORK_ERROR` when nothing answered. */
  readonly code: MojiClientErrorCode;
  /** The HTTP status the contract gives the code; 0 when nothing answered. */
  readonly status: number;
  /** The `X-Request-ID` of the failed request, when the server answered. */
  readonly requestId: string | undefined;
  /** OpenAI's word for the kind of error, such as `invalid_request_error`. */
  readonly type: ErrorType | undefined;
  /** Extra facts, such as `{ issues: [{ path, message }] }` for validation errors. */
  readonly details: ErrorDetails;

  constructor(source: TRPCClientError<AppRouter>) {
    super(source.message, {
      result: source.shape ? { error: source.shape } : undefined,
      cause: source.cause,
      meta: source.meta,
    });
    // TRPCClientError resets the prototype to its own, which would hide this subclass from
    // `instanceof MojiClientError`.
    Object.setPrototypeOf(this, new.target.prototype);
    const data = source.data;
    const response = responseOf(source);
    this.status = data?.httpStatus ?? response?.status ?? 0;
    this.code = data?.code ?? codeOfStatus(this.status);
    this.requestId = data?.requestId ?? response?.headers.get('x-request-id') ?? undefined;
    this.type =
      data?.type ?? (this.code === 'NETWORK_ERROR' ? undefined : errorCodes[this.code].type);
    this.details = data?.details ?? {};
  }
}

/** Turns anything a call throws into a `MojiClientError`; one is returned as it is. */
export function toMojiClientError(error: unknown): MojiClientError {
  if (error instanceof MojiClientError) return error;
  const source =
    error instanceof TRPCClientError
      ? (error as TRPCClientError<AppRouter>)
      : TRPCClientError.from<AppRouter>(error instanceof Error ? error : new Error(String(error)));

  return new MojiClientError(source);
}
