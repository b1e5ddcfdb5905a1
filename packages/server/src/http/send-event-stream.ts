import { once } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http';

import { toMojiError, type CompletionChunk } from '@moji/contracts';
import type { FastifyReply } from 'fastify';

const DONE = 'data: [DONE]\n\n';
const KEEP_ALIVE = ': keep-alive\n\n';

function event(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/**
 * Answers with a completion stream as OpenAI's server-sent events. `start` settles once the
 * model has begun answering: until then a failure is thrown to the caller, which answers
 * with an ordinary JSON error; after it, the 200 goes out, each chunk is written as it
 * comes, a `: keep-alive` comment fills every `keepAliveMs` of silence, and a failure is one
 * error event and the end, without `[DONE]`. A client that hangs up ends the relay.
 */
export async function sendEventStream(
  reply: FastifyReply,
  start: Promise<AsyncIterable<CompletionChunk>>,
  keepAliveMs: number,
): Promise<FastifyReply> {
  const chunks = await start;
  const iterator = chunks[Symbol.asyncIterator]();
  const res = reply.raw;

  // Written straight to the socket: every chunk is flushed as it comes, nothing buffers it.
  reply.hijack();
  res.writeHead(200, {
    ...(reply.getHeaders() as OutgoingHttpHeaders),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();

  const isOpen = () => !res.destroyed && !res.writableEnded;
  // Chunks that arrive together (one upstream packet) leave together: writes are corked
  // until the current tick ends, so a burst costs one system call instead of one a chunk.
  let corked = false;
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  const write = async (text: string) => {
    if (!isOpen()) return;
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    if (!res.write(text)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  };
  const keepAlive = setInterval(() => {
    if (isOpen()) res.write(KEEP_ALIVE);
  }, keepAliveMs);

  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      if (!isOpen()) break;
      await write(event(next.value));
      keepAlive.refresh();
    }
    if (isOpen()) await write(DONE);
    else await iterator.return?.();
  } catch (error) {
    const mojiError = toMojiError(error);
    const cancelled = mojiError.details['cancelled'] === true || !isOpen();
    if (mojiError.status >= 500 && !cancelled) reply.log.error({ err: error }, 'stream failed');
    await write(event(mojiError.toEnvelope()));
  } finally {
    clearInterval(keepAlive);
    if (isOpen()) res.end();
  }

  return reply;
}
