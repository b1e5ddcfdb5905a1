import { StringDecoder } from 'node:string_decoder';

import { MojiError, type CompletionChunk } from '@moji/contracts';

import { checkChunk } from './check-chunk.js';
import type { ProviderCall } from './provider.js';
import type { UpstreamBody } from './send-upstream-request.js';
import { isNetworkError, transportError } from './upstream-errors.js';

/** The longest one event may grow (in UTF-16 units) before the stream is given up on. */
export const MAX_EVENT_LENGTH = 8 * 1024 * 1024;

function midStreamError(message: string): MojiError {
  return new MojiError('UPSTREAM_ERROR', message, { details: { source: 'upstream' } });
}

/** The data of one event (its `data:` lines joined), or undefined for a comment. */
function dataOf(block: string): string | undefined {
  let data: string | undefined;
  for (const line of block.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }

  return data;
}

function parseChunk(data: string): CompletionChunk {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    throw midStreamError('The model provider sent a malformed stream');
  }
  if (typeof chunk !== 'object' || chunk === null) {
    throw midStreamError('The model provider sent a malformed stream');
  }
  // Providers report a failure after the first byte as an event of its own; its text stays.
  if ('error' in chunk) throw midStreamError('The model provider failed while answering');

  return checkChunk(chunk);
}

function hasFinishReason(chunk: CompletionChunk): boolean {
  return chunk.choices.some((choice) => Boolean(choice.finish_reason));
}

/**
 * Reads an upstream's server-sent events as completion chunks, as they arrive. Comments are
 * skipped, reading stops at `data: [DONE]`, and a stream cut before any choice finished, a
 * stall past the timeout or an error event becomes the contract's error.
 */
export async function* readSseChunks(
  body: UpstreamBody,
  call: ProviderCall,
): AsyncGenerator<CompletionChunk> {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  let carriage = false;
  let done = false;
  let finished = false;

  try {
    for await (const bytes of body as AsyncIterable<Buffer>) {
      // Read on to the end after [DONE], so that the connection can be reused.
      if (done) continue;
      const piece = decoder.write(bytes);
      let text: string = carriage ? `\r${piece}` : piece;
      carriage = text.endsWith('\r');
      if (carriage) text = text.slice(0, -1);
      // Only the new text (and the newline before it) can complete a separator.
      const searchFrom = Math.max(0, buffer.length - 1);
      buffer += text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;

      let end = buffer.indexOf('\n\n', searchFrom);
      if (end === -1 && buffer.length > MAX_EVENT_LENGTH) {
        throw midStreamError('The model provider sent an event that is too large');
      }
      while (end !== -1 && !done) {
        const data = dataOf(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        if (data === undefined) continue;
        if (data === '[DONE]') {
          done = true;
          break;
        }
        const chunk = parseChunk(data);
        if (!finished && hasFinishReason(chunk)) finished = true;
        yield chunk;
      }
    }
  } catch (error) {
    if (error instanceof MojiError || !isNetworkError(error)) throw error;
    if (call.signal.aborted) {
      throw new MojiError('UPSTREAM_ERROR', 'The request was cancelled by the client', {
        details: { cancelled: true },
      });
    }
    throw transportError(error);
  }

  if (!done && !finished) throw midStreamError('The model provider ended the stream early');
}
