import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One step of a scripted stream. */
export type FakeEvent =
  /** A `chat.completion.chunk`; id, object, created and model are filled in. */
  | { chunk: { choices: unknown[]; usage?: unknown } }
  /** An SSE comment line, such as `: keep-alive`. */
  | { comment: string }
  /** Bytes written as they are. */
  | { raw: string }
  /** A pause before the next step. */
  | { delayMs: number }
  /** An OpenAI-style error event in the middle of the stream. */
  | { error: { message: string; type?: string } };

/** How the fake answers one request; anything left out takes the default. */
export interface FakeReply {
  /** Wait this long before the status line. */
  headersDelayMs?: number;
  /** Cut the connection without answering. */
  hangUp?: boolean;
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body for a non-2xx answer, or for a 2xx one in place of the default completion. */
  json?: unknown;
  /** For streams: the events; by default the reply text split into words. */
  events?: FakeEvent[];
  /**
   * For streams: how it ends. `done` writes `data: [DONE]`, `end` ends the body without it,
   * `stall` never ends, `cut` destroys the socket.
   */
  ending?: 'done' | 'stall' | 'cut' | 'end';
  /** The reply text of the default answers. */
  text?: string;
  reasoning?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** A request the fake received. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> & { messages?: Record<string, unknown>[]; model?: string };
  /** The client closed the connection before the answer was complete. */
  aborted: boolean;
  /** The answer was written to the end. */
  completed: boolean;
}

/** A running fake OpenAI-compatible upstream. */
export interface FakeUpstream {
  /** The base URL to configure, such as `http://127.0.0.1:40123/v1`. */
  baseUrl: string;
  received: ReceivedRequest[];
  /** Scripts the next requests, one reply each, in order; later ones get the default. */
  enqueue(...replies: FakeReply[]): void;
  /** Waits until `check` holds for what was received (up to `timeoutMs`). */
  waitFor(check: (received: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_USAGE = { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    request.on('error', reject);
  });
}

/** The default stream: a role chunk, the reasoning and text word by word, the finish, usage. */
function defaultEvents(reply: FakeReply, includeUsage: boolean): FakeEvent[] {
  const words = (reply.text ?? 'Hello from the fake upstream').split(/(?<= )/);
  const reasoning = reply.reasoning ? reply.reasoning.split(/(?<= )/) : [];
  const events: FakeEvent[] = [
    {
      chunk: {
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      },
    },
    ...reasoning.map((piece) => ({
      chunk: { choices: [{ index: 0, delta: { reasoning_content: piece }, finish_reason: null }] },
    })),
    ...words.map((word) => ({
      chunk: { choices: [{ index: 0, delta: { content: word }, finish_reason: null }] },
    })),
    { chunk: { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] } },
  ];
  if (includeUsage) events.push({ chunk: { choices: [], usage: reply.usage ?? DEFAULT_USAGE } });

  return events;
}

function defaultCompletion(reply: FakeReply, model: unknown) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: reply.text ?? 'Hello from the fake upstream',
          ...(reply.reasoning ? { reasoning_content: reply.reasoning } : {}),
        },
        finish_reason: 'stop',
      },
    ],
    usage: reply.usage ?? DEFAULT_USAGE,
  };
}

async function writeStream(
  res: ServerResponse,
  reply: FakeReply,
  body: ReceivedRequest['body'],
): Promise<void> {
  res.writeHead(reply.status ?? 200, { 'content-type': 'text/event-stream', ...reply.headers });
  res.flushHeaders();
  const options = body['stream_options'] as { include_usage?: boolean } | undefined;
  const events = reply.events ?? defaultEvents(reply, options?.include_usage === true);
  const base = {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: body.model,
  };
  for (const step of events) {
    if (res.destroyed) return;
    if ('delayMs' in step) await sleep(step.delayMs);
    else if ('comment' in step) res.write(`: ${step.comment}\n\n`);
    else if ('raw' in step) res.write(step.raw);
    else if ('error' in step) res.write(`data: ${JSON.stringify({ error: step.error })}\n\n`);
    else res.write(`data: ${JSON.stringify({ ...base, ...step.chunk })}\n\n`);
  }
  const ending = reply.ending ?? 'done';
  if (ending === 'stall') return;
  if (ending === 'cut') {
    // Let the events written so far reach the client, then cut without ending the body.
    await sleep(50);
    res.socket?.destroy();

    return;
  }
  if (ending === 'done') res.write('data: [DONE]\n\n');
  res.end();
}

async function answer(
  request: IncomingMessage,
  res: ServerResponse,
  reply: FakeReply,
  record: ReceivedRequest,
) {
  if (reply.headersDelayMs) await sleep(reply.headersDelayMs);
  if (reply.hangUp) {
    request.socket.destroy();

    return;
  }
  const status = reply.status ?? 200;
  if (record.body['stream'] === true && status < 300 && reply.json === undefined) {
    await writeStream(res, reply, record.body);

    return;
  }
  const json =
    reply.json ??
    (status < 300
      ? defaultCompletion(reply, record.body.model)
      : { error: { message: 'fake failure' } });
  res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
  res.end(JSON.stringify(json));
}

/**
 * Starts a fake OpenAI-compatible server on a free port: `POST /v1/chat/completions` answers
 * as scripted with `enqueue`, or with a short default reply, streamed when asked.
 */
export async function startFakeUpstream(): Promise<FakeUpstream> {
  const received: ReceivedRequest[] = [];
  const queue: FakeReply[] = [];

  const server: Server = createServer((request, res) => {
    void (async () => {
      const text = await readBody(request);
      let body: ReceivedRequest['body'] = {};
      try {
        body = JSON.parse(text) as ReceivedRequest['body'];
      } catch {
        body = {};
      }
      const record: ReceivedRequest = {
        path: request.url ?? '',
        headers: request.headers,
        body,
        aborted: false,
        completed: false,
      };
      received.push(record);
      res.on('close', () => {
        if (!res.writableFinished) record.aborted = true;
      });
      res.on('finish', () => {
        record.completed = true;
      });
      if (request.method !== 'POST' || !record.path.endsWith('/chat/completions')) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"error":{"message":"no route"}}');

        return;
      }
      await answer(request, res, queue.shift() ?? {}, record);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    received,
    enqueue: (...replies) => queue.push(...replies),
    async waitFor(check, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!check(received)) {
        if (Date.now() > deadline)
          throw new Error(`fake upstream: condition not met in ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
