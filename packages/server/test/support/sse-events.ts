import { request as httpRequest } from 'node:http';

/** One server-sent event as received: its raw block, its data, and when it arrived. */
export interface ReceivedEvent {
  raw: string;
  /** The `data:` value, or undefined for a comment. */
  data: string | undefined;
  /** Milliseconds since reading began. */
  at: number;
}

/**
 * Reads a text/event-stream response event by event as the bytes arrive. `onEvent` may
 * return `'stop'` to hang up (the reader is cancelled, which closes the connection).
 * Leftover bytes that do not end an event are returned as `rest`.
 */
export async function readEvents(
  response: Response,
  onEvent?: (event: ReceivedEvent, index: number) => 'stop' | void,
): Promise<{ events: ReceivedEvent[]; rest: string; text: string }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const started = Date.now();
  const events: ReceivedEvent[] = [];
  let buffer = '';
  let text = '';

  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const piece = decoder.decode(value, { stream: true });
    text += piece;
    buffer += piece;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const raw = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const data = raw.startsWith('data: ') ? raw.slice(6) : undefined;
      const event = { raw, data, at: Date.now() - started };
      events.push(event);
      if (onEvent?.(event, events.length - 1) === 'stop') {
        await reader.cancel();

        return { events, rest: buffer, text };
      }
    }
  }

  return { events, rest: buffer, text };
}

/** A streamed chunk as the tests read it. */
export interface ReceivedChunk {
  [key: string]: unknown;
  choices: {
    index: number;
    delta: Record<string, unknown> & { content?: string | null };
    finish_reason: string | null;
  }[];
  usage?: Record<string, number> | null;
}

/** The JSON of each data event but `[DONE]`. */
export function dataOf(events: ReceivedEvent[]): ReceivedChunk[] {
  return events
    .filter((event) => event.data !== undefined && event.data !== '[DONE]')
    .map((event) => JSON.parse(event.data as string) as ReceivedChunk);
}

/** The reply text joined from the chunks' content deltas. */
export function joinContent(chunks: ReceivedChunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
}

/**
 * POSTs a streamed completion over its own connection, reads up to the first data event and
 * hangs up by destroying the socket. (fetch keeps a pool whose spare connections would hold
 * a server's close open.) Resolves with the status and what was read.
 */
export function readFirstEventAndHangUp(
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = httpRequest(url, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        ...headers,
      },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (piece: string) => {
        text += piece;
        if (!/(^|\n\n)data: /.test(text) || !text.endsWith('\n\n')) return;
        request.destroy();
        resolve({ status: response.statusCode ?? 0, text });
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.end(payload);
  });
}
