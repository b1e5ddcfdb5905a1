import { initTRPC } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';

import type { Context } from './context.js';
import {
  errorCodes,
  MojiError,
  type ErrorCode,
  type ErrorDetails,
  type ErrorType,
} from './errors.js';
import type { MojiMeta } from './meta.js';
import { toMojiError } from './to-moji-error.js';

/** What `error.data` holds on `/trpc`: the contract's code and status beside tRPC's own. */
export interface MojiErrorData {
  code: ErrorCode;
  type: ErrorType;
  details: ErrorDetails;
  httpStatus: number;
  path?: string;
  requestId?: string;
}

// tRPC's JSON-RPC code for each contract code, so that `error.code` agrees with `error.data`.
const trpcKeyByCode: Record<ErrorCode, keyof typeof TRPC_ERROR_CODES_BY_KEY> = {
  AUTH_FAILED: 'UNAUTHORIZED',
  AUTH_FORBIDDEN: 'FORBIDDEN',
  VALIDATION_ERROR: 'BAD_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_SUPPORTED',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMIT_EXCEEDED: 'TOO_MANY_REQUESTS',
  INTERNAL_ERROR: 'INTERNAL_SERVER_ERROR',
  UPSTREAM_ERROR: 'BAD_GATEWAY',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  UPSTREAM_TIMEOUT: 'GATEWAY_TIMEOUT',
};

/** An error in tRPC's wire shape, `{message, code, data}`, with the contract's code in `data`. */
export function toTrpcErrorShape(
  error: MojiError,
  where: { path?: string | undefined; requestId?: string | undefined } = {},
) {
  const data: MojiErrorData = {
    code: error.code,
    type: errorCodes[error.code].type,
    details: error.details,
    httpStatus: error.status,
    ...(where.path === undefined ? {} : { path: where.path }),
    ...(where.requestId === undefined ? {} : { requestId: where.requestId }),
  };

  return { message: error.message, code: TRPC_ERROR_CODES_BY_KEY[trpcKeyByCode[error.code]], data };
}

const t = initTRPC
  .context<Context>()
  .meta<MojiMeta>()
  .create({
    errorFormatter({ error, ctx, path }) {
      return toTrpcErrorShape(toMojiError(error), { path, requestId: ctx?.request.requestId });
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** A procedure anyone may call. */
export const publicProcedure = t.procedure;

/** A procedure for signed-in users; the server has authenticated and rate-limited the call. */
export const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  if (ctx.auth.error) throw ctx.auth.error;
  const caller = ctx.auth.caller;
  if (!caller) throw new MojiError('AUTH_FAILED', 'Missing bearer token');

  return next({ ctx: { caller } });
});

/** A procedure for admins only. */
export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.caller.role !== 'admin') {
    throw new MojiError('AUTH_FORBIDDEN', 'This route is for admins only');
  }

  return next();
});
