import type { Completion, CompletionChunk } from '@moji/contracts';

/** A chat completion request as sent to a provider: OpenAI's fields, the provider's model id. */
export type UpstreamRequest = Record<string, unknown> & { model: string; messages: unknown[] };

/** What a provider needs to know about one call besides its body. */
export interface ProviderCall {
  /** Aborted when the client hangs up: the provider cancels its upstream call. */
  signal: AbortSignal;
  /** The model name the client asked for, for messages. */
  modelName: string;
  /** Whether the name went upstream unchanged, so that an upstream 404 means no such model. */
  passThrough: boolean;
}

/** Something that answers OpenAI-style chat completions. */
export interface ChatProvider {
  /** The name shown in `/health` and logs, such as `echo` or `deepseek`. */
  readonly name: string;
  /** Request fields beyond OpenAI's that this provider takes (DeepSeek's `thinking`, say). */
  readonly extraFields: ReadonlySet<string>;
  complete(request: UpstreamRequest, call: ProviderCall): Promise<Completion>;
  /** Resolves once the provider has answered; the chunks follow as it produces them. */
  stream(request: UpstreamRequest, call: ProviderCall): Promise<AsyncIterable<CompletionChunk>>;
  /** Lets go of connections; called when the server stops. */
  close(): Promise<void>;
}

/** Where a model name that clients use is served. */
export interface ModelRoute {
  name: string;
  provider: ChatProvider;
  /** The provider's own id for the model. */
  upstreamId: string;
  acceptsImages: boolean;
  /** True for a name that no table holds and that goes to `LLM_BASE_URL` unchanged. */
  passThrough: boolean;
}

/** The models this server serves. */
export interface ModelRegistry {
  resolve(name: string): ModelRoute | undefined;
  /** Every served name, with its provider's name as owner. */
  list(): { id: string; ownedBy: string }[];
  /** What `/health` names as the model service: the providers' names. */
  readonly description: string;
  /** Closes every provider's connections. */
  close(): Promise<void>;
}
