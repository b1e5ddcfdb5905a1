import { Readable } from 'node:stream';

import { MojiError } from '@moji/contracts';
import { describe, expect, it } from 'vitest';

import { readSseChunks } from './read-sse-chunks.js';
import type { UpstreamBody } from './send-upstream-request.js';

const call = { signal: new AbortController().signal, modelName: 'm', passThrough: true };

function chunk(content: string, finish: string | null = null): string {
  const delta = finish ? {} : { content };

  return JSON.stringify({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'x',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
}

function bodyOf(pieces: (string | Buffer)[]): UpstreamBody {
  const buffers = pieces.map((piece) => (typeof piece === 'string' ? Buffer.from(piece) : piece));

  return Readable.from(buffers) as unknown as UpstreamBody;
}

async function read(pieces: (string | Buffer)[]) {
  const contents: string[] = [];
  for await (const received of readSseChunks(bodyOf(pieces), call)) {
    const choice = received.choices[0];
    contents.push(
      choice?.finish_reason ? `<${choice.finish_reason}>` : (choice?.delta.content ?? ''),
    );
  }

  return contents;
}

describe('readSseChunks', () => {
  it('reads events split anywhere, CRLF line ends and characters cut between packets', async () => {
    const text = `data: ${chunk('héllo')}\r\n\r\n: keep-alive\r\n\r\ndata: ${chunk('wörld')}\r\n\r\ndata: ${chunk('', 'stop')}\r\n\r\ndata: [DONE]\r\n\r\n`;
    const bytes = Buffer.from(text);
    const pieces: Buffer[] = [];
    for (let start = 0; start < bytes.length; start += 7)
      pieces.push(bytes.subarray(start, start + 7));

    expect(await read(pieces)).toEqual(['héllo', 'wörld', '<stop>']);
  });

  it('joins the data lines of one event', async () => {
    const pretty = JSON.stringify(JSON.parse(chunk('multi-line')), null, 1);
    const event = pretty
      .split('\n')
      .map((line) => `data: ${line}`)
      .join('\n');

    expect(await read([`${event}\n\n`, `data: ${chunk('', 'stop')}\n\n`])).toEqual([
      'multi-line',
      '<stop>',
    ]);
  });

  it('stops at [DONE] and ignores what follows', async () => {
    expect(
      await read([`data: ${chunk('one')}\n\ndata: [DONE]\n\ndata: ${chunk('two')}\n\n`]),
    ).toEqual(['one']);
  });

  it('turns an error event into UPSTREAM_ERROR without its text', async () => {
    const error = await read([
      `data: ${chunk('one')}\n\n`,
      'data: {"error":{"message":"secret"}}\n\n',
    ]).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MojiError);
    expect((error as MojiError).code).toBe('UPSTREAM_ERROR');
    expect((error as MojiError).message).not.toContain('secret');
  });

  it('fails a stream that ends before any choice finished, but not one that finished', async () => {
    const cut = await read([`data: ${chunk('one')}\n\n`]).catch((caught: unknown) => caught);

    expect((cut as MojiError).code).toBe('UPSTREAM_ERROR');
    expect(await read([`data: ${chunk('one')}\n\ndata: ${chunk('', 'stop')}\n\n`])).toEqual([
      'one',
      '<stop>',
    ]);
  });

  it('fails on data that is not a chunk', async () => {
    for (const data of ['not json', '42', '{"choices":"no"}']) {
      const error = await read([`data: ${data}\n\n`]).catch((caught: unknown) => caught);
      expect((error as MojiError).code).toBe('UPSTREAM_ERROR');
    }
  });
});
