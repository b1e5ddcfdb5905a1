import { ConfigError, type Config } from '../config.js';
import { createEchoRegistry } from './echo-registry.js';
import { parseModelsConfig, type ModelsConfig } from './models-config.js';
import { OpenAiCompatibleProvider } from './openai-compatible-provider.js';
import type { ChatProvider, ModelRegistry } from './provider.js';
import { createUpstreamRegistry } from './upstream-registry.js';

/** The name `/health` and `/models` give the upstream configured by `LLM_BASE_URL`. */
export const LLM_PROVIDER_NAME = 'openai-compatible';

function checkBaseUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError('LLM_BASE_URL must be an http:// or https:// URL');
  }

  return value;
}

/**
 * The models this server serves, from its configuration: the `echo` provider while no
 * upstream is configured, otherwise `LLM_BASE_URL` and the `MOJI_MODELS` table. Throws
 * ConfigError when `DEFAULT_MODEL` would not be served.
 */
export function createModelRegistry(config: Config): ModelRegistry {
  if (!config.llmBaseUrl && !config.modelsJson) return createEchoRegistry(config.defaultModel);

  const table: ModelsConfig = config.modelsJson
    ? parseModelsConfig(config.modelsJson, config.env)
    : { providers: [], models: [] };
  const options = { timeoutMs: config.upstreamTimeoutMs };
  const providers = new Map<string, ChatProvider>(
    table.providers.map((settings) => [
      settings.name,
      new OpenAiCompatibleProvider(settings, options),
    ]),
  );
  const passThrough = config.llmBaseUrl
    ? new OpenAiCompatibleProvider(
        {
          name: LLM_PROVIDER_NAME,
          baseUrl: checkBaseUrl(config.llmBaseUrl),
          apiKey: config.llmApiKey,
          extraFields: [],
        },
        options,
      )
    : undefined;

  const registry = createUpstreamRegistry({
    models: table.models,
    providers,
    passThrough,
    defaultModel: config.defaultModel,
  });
  if (!registry.resolve(config.defaultModel)) {
    void registry.close();
    throw new ConfigError(
      `DEFAULT_MODEL "${config.defaultModel}" is not served: ` +
        'add it to the models of MOJI_MODELS or set LLM_BASE_URL',
    );
  }

  return registry;
}
