import { initTRPC } from '@trpc/server';

import type { Context } from './context.js';
import { errorCodes, MojiError, type ErrorCode, type ErrorDetails, type ErrorType } from './errors.js';
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

const t = initTRPC
  .context<Context>()
  .meta<MojiMeta>()
  .create({
    errorFormatter({ shape, error, ctx, path }) {
      const mojiError = toMojiError(error);
      const data: MojiErrorData = {
        code: mojiError.code,
        type: errorCodes[mojiError.code].type,
        details: mojiError.details,
        httpStatus: mojiError.status,
        ...(path === undefined ? {} : { path }),
        ...(ctx ? { requestId: ctx.request.requestId } : {}),
      };

      return { message: mojiError.message, code: shape.code, data };
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
