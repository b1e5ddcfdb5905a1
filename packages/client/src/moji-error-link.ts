import type { AppRouter } from '@moji/contracts';
import type { TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';

import { toMojiClientError } from './moji-client-error.js';

/**
 * A tRPC link that turns every failed call into a `MojiClientError`. tRPC hands errors that
 * are already `TRPCClientError`s through unchanged, so callers see this class.
 */
export function mojiErrorLink(): TRPCLink<AppRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) => {
        const subscription = next(op).subscribe({
          next: (result) => observer.next(result),
          error: (error) => observer.error(toMojiClientError(error)),
          complete: () => observer.complete(),
        });

        return () => subscription.unsubscribe();
      });
}
