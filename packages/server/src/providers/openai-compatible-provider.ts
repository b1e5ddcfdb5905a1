import { validationError, type Completion, type CompletionChunk } from '@moji/contracts';
import { Pool } from 'undici';

import type { UpstreamSettings } from './models-config.js';
import type { ChatProvider, ProviderCall, UpstreamRequest } from './provider.js';
import { readCompletion } from './read-completion.js';
import { readSseChunks } from './read-sse-chunks.js';
import { sendUpstreamRequest, type UpstreamTarget } from './send-upstream-request.js';

/** Waits before the two retries of a refused connection or a 5xx. */
export const DEFAULT_RETRY_DELAYS_MS = [200, 500] as const;

/** How long an idle upstream connection is kept for the next request. */
const KEEP_ALIVE_MS = 30_000;

function chatCompletionsPath(url: URL): string {
  return `${url.pathname.replace(/\/+$/, '')}/chat/completions${url.search}`;
}

/**
 * The request body as sent upstream. JSON nested thousands of levels deep (in a tool's
 * parameters, say) overflows the stack of JSON.stringify: that is the client's request.
 */
function serializeRequest(request: UpstreamRequest): string {
  try {
    return JSON.stringify(request);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw validationError([{ path: [], message: 'The request is nested too deeply' }]);
  }
}

/**
 * A provider that speaks OpenAI's chat completions API: OpenAI itself, DeepSeek, Ollama,
 * vLLM, llama.cpp's server. Requests go over a pool of kept-alive connections (undici), so
 * the hop costs little; the request body is forwarded as Moji built it.
 */
export class OpenAiCompatibleProvider implements ChatProvider {
  readonly name: string;
  readonly extraFields: ReadonlySet<string>;
  private readonly json: UpstreamTarget;
  private readonly events: UpstreamTarget;

  constructor(
    settings: UpstreamSettings,
    options: { timeoutMs: number; retryDelaysMs?: readonly number[] },
  ) {
    const url = new URL(settings.baseUrl);
    const pool = new Pool(url.origin, {
      connectTimeout: options.timeoutMs,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: KEEP_ALIVE_MS,
    });
    const base = {
      pool,
      path: chatCompletionsPath(url),
      timeoutMs: options.timeoutMs,
      retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (settings.apiKey) headers['authorization'] = `Bearer ${settings.apiKey}`;

    this.name = settings.name;
    this.extraFields = new Set(settings.extraFields);
    this.json = { ...base, headers: { ...headers, accept: 'application/json' } };
    this.events = { ...base, headers: { ...headers, accept: 'text/event-stream' } };
  }

  async complete(request: UpstreamRequest, call: ProviderCall): Promise<Completion> {
    const body = await sendUpstreamRequest(this.json, serializeRequest(request), call);

    return readCompletion(body);
  }

  async stream(
    request: UpstreamRequest,
    call: ProviderCall,
  ): Promise<AsyncIterable<CompletionChunk>> {
    const body = await sendUpstreamRequest(this.events, serializeRequest(request), call);

    return readSseChunks(body, call);
  }

  close(): Promise<void> {
    return this.json.pool.close();
  }
}
