import type { Completion, CompletionChunk } from '@moji/contracts';

/** A chat completion request as sent to a provider: OpenAI's fields, the provider's model id. */
export type UpstreamRequest = Record<string, unknown> & { model: string; messages: unknown[] };

/** Something that answers OpenAI-style chat completions. */
export interface ChatProvider {
  /** The name shown in `/health` and logs, such as `echo` or `deepseek`. */
  readonly name: string;
  /** Request fields beyond OpenAI's that this provider takes (DeepSeek's `thinking`, say). */
  readonly extraFields: ReadonlySet<string>;
  complete(request: UpstreamRequest, signal: AbortSignal): Promise<Completion>;
  /** Resolves once the provider has answered; the chunks follow as it produces them. */
  stream(request: UpstreamRequest, signal: AbortSignal): Promise<AsyncIterable<CompletionChunk>>;
}

/** Where a model name that clients use is served. */
export interface ModelRoute {
  name: string;
  provider: ChatProvider;
  /** The provider's own id for the model. */
  upstreamId: string;
  acceptsImages: boolean;
}

/** The models this server serves. */
export interface ModelRegistry {
  resolve(name: string): ModelRoute | undefined;
  /** Every served name, with its provider's name as owner. */
  list(): { id: string; ownedBy: string }[];
  /** What `/health` names as the model service. */
  readonly description: string;
}
