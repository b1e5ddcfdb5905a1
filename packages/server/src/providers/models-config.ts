import { z } from 'zod';

import { ConfigError } from '../config.js';

const nameSchema = z.string().min(1).max(256);

const providerSchema = z.strictObject({
  base_url: z.url({ protocol: /^https?$/ }),
  /** The variable that holds the key; absent for servers that take none (Ollama). */
  api_key_env: z.string().min(1).optional(),
  extra_fields: z.array(nameSchema).default([]),
});

const modelSchema = z.strictObject({
  provider: nameSchema,
  /** The provider's own id; the table's name when absent. */
  id: nameSchema.optional(),
  images: z.boolean().default(false),
});

const modelsConfigSchema = z.strictObject({
  providers: z.record(nameSchema, providerSchema),
  models: z.record(nameSchema, modelSchema),
});

/** One OpenAI-compatible server, ready to connect to. */
export interface UpstreamSettings {
  name: string;
  baseUrl: string;
  apiKey: string | undefined;
  extraFields: string[];
}

/** A row of the model table: a name clients use and where it is served. */
export interface ModelEntry {
  name: string;
  provider: string;
  upstreamId: string;
  acceptsImages: boolean;
}

/** `MOJI_MODELS`, checked: its providers with their keys read, and its model table. */
export interface ModelsConfig {
  providers: UpstreamSettings[];
  models: ModelEntry[];
}

/**
 * Reads `MOJI_MODELS`. Throws ConfigError naming what is wrong: bad JSON, an unknown field,
 * a model whose provider is not listed, or a key variable that is not set.
 */
export function parseModelsConfig(
  json: string,
  env: Readonly<Record<string, string | undefined>>,
): ModelsConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ConfigError('MOJI_MODELS is not valid JSON');
  }
  const parsed = modelsConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${['MOJI_MODELS', ...issue.path.map(String)].join('.')}: ${issue.message}`,
    );
    throw new ConfigError(`invalid MOJI_MODELS: ${problems.join('; ')}`);
  }

  const providers = Object.entries(parsed.data.providers).map(([name, provider]) => {
    const keyVariable = provider.api_key_env;
    const apiKey = keyVariable === undefined ? undefined : env[keyVariable];
    if (keyVariable !== undefined && !apiKey) {
      throw new ConfigError(
        `MOJI_MODELS: provider "${name}" reads its key from ${keyVariable}, which is not set`,
      );
    }

    return { name, baseUrl: provider.base_url, apiKey, extraFields: provider.extra_fields };
  });

  const models = Object.entries(parsed.data.models).map(([name, model]) => {
    if (!Object.hasOwn(parsed.data.providers, model.provider)) {
      throw new ConfigError(
        `MOJI_MODELS: model "${name}" names provider "${model.provider}", which is not listed`,
      );
    }

    return {
      name,
      provider: model.provider,
      upstreamId: model.id ?? name,
      acceptsImages: model.images,
    };
  });

  return { providers, models };
}
