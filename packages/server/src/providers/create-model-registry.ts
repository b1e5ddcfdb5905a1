import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { createEchoRegistry } from './model-registry.js';
import type { ModelRegistry } from './provider.js';

/** The models this server serves, from its configuration. */
export function createModelRegistry(config: Config): ModelRegistry {
  if (config.llmBaseUrl || config.modelsJson) {
    // TODO: OpenAI-compatible upstreams (LLM_BASE_URL, MOJI_MODELS) are not wired yet.
    throw new ConfigError('LLM_BASE_URL and MOJI_MODELS are not supported by this build yet');
  }

  return createEchoRegistry(config.defaultModel);
}
