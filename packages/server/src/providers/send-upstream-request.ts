import { setTimeout as sleep } from 'node:timers/promises';

import { MojiError } from '@moji/contracts';
import type { Dispatcher, Pool } from 'undici';

import type { ProviderCall } from './provider.js';
import {
  isNetworkError,
  isRetryableTransportError,
  statusError,
  transportError,
} from './upstream-errors.js';

/** How one upstream is reached: its connection pool, the request path and fixed headers. */
export interface UpstreamTarget {
  pool: Pool;
  path: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** The waits before each retry; its length is the number of retries. */
  retryDelaysMs: readonly number[];
}

/** The body of a 2xx upstream answer, to be read by the caller. */
export type UpstreamBody = Dispatcher.ResponseData['body'];

function cancelled(): MojiError {
  return new MojiError('UPSTREAM_ERROR', 'The request was cancelled by the client', {
    details: { cancelled: true },
  });
}

async function waitBeforeRetry(delayMs: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(delayMs, undefined, { signal });
  } catch {
    throw cancelled();
  }
}

/**
 * POSTs a JSON body upstream and resolves with the body of its 2xx answer. A refused
 * connection or a 5xx is tried again (only here, before anything reached the client); every
 * other failure becomes the contract's error. The upstream's own error body is discarded.
 */
export async function sendUpstreamRequest(
  target: UpstreamTarget,
  body: string,
  call: ProviderCall,
): Promise<UpstreamBody> {
  for (let attempt = 0; ; attempt += 1) {
    const canRetry = attempt < target.retryDelaysMs.length;
    let response: Dispatcher.ResponseData;
    try {
      response = await target.pool.request({
        method: 'POST',
        path: target.path,
        headers: target.headers,
        body,
        signal: call.signal,
        headersTimeout: target.timeoutMs,
        bodyTimeout: target.timeoutMs,
      });
    } catch (error) {
      if (call.signal.aborted) throw cancelled();
      if (!isNetworkError(error)) throw error;
      if (!canRetry || !isRetryableTransportError(error)) throw transportError(error);
      await waitBeforeRetry(target.retryDelaysMs[attempt] ?? 0, call.signal);
      continue;
    }

    const status = response.statusCode;
    if (status >= 200 && status < 300) return response.body;

    // Read and drop the error body so that the connection can be reused.
    await response.body.dump().catch(() => undefined);
    if (status >= 500 && canRetry) {
      await waitBeforeRetry(target.retryDelaysMs[attempt] ?? 0, call.signal);
      continue;
    }
    throw statusError(status, response.headers, call);
  }
}
