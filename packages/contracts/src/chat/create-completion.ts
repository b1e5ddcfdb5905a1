import { z } from 'zod';

import { textSchema } from '../common.js';
import type { MojiMeta } from '../meta.js';
import { messageSchema, toolCallSchema } from './message.js';

const penaltySchema = z.number().min(-2).max(2).nullish();
const tokenCountSchema = z.number().int().min(1).max(1_000_000).nullish();
const jsonObjectSchema = z.record(z.string(), z.unknown());

const functionDefinitionSchema = z.object({
  name: textSchema(256),
  description: textSchema().optional(),
  parameters: jsonObjectSchema.optional(),
  strict: z.boolean().nullish(),
});

const toolSchema = z.union([
  z.object({ type: z.literal('function'), function: functionDefinitionSchema }),
  z.object({ type: z.literal('custom'), custom: jsonObjectSchema }),
]);

const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: textSchema(256) }) }),
  z.object({ type: z.literal('allowed_tools'), allowed_tools: jsonObjectSchema }),
  z.object({ type: z.literal('custom'), custom: z.object({ name: textSchema(256) }) }),
]);

const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({ type: z.literal('json_schema'), json_schema: jsonObjectSchema }),
]);

/**
 * The fields of OpenAI's chat completion request, with their ranges, plus Moji's
 * `session_id`. Other fields are checked against the model's provider by the server.
 */
export const completionRequestShape = {
  messages: z.array(messageSchema).max(2048),
  model: textSchema(256).min(1).optional(),
  audio: jsonObjectSchema.nullish(),
  frequency_penalty: penaltySchema,
  function_call: z
    .union([z.enum(['none', 'auto']), z.object({ name: textSchema(256) })])
    .optional(),
  functions: z.array(functionDefinitionSchema).max(128).optional(),
  logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullish(),
  logprobs: z.boolean().nullish(),
  max_completion_tokens: tokenCountSchema,
  max_tokens: tokenCountSchema,
  metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
  modalities: z.array(z.enum(['text', 'audio'])).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  parallel_tool_calls: z.boolean().optional(),
  prediction: jsonObjectSchema.nullish(),
  presence_penalty: penaltySchema,
  prompt_cache_key: textSchema(1024).optional(),
  prompt_cache_retention: z.enum(['in-memory', '24h']).nullish(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
  response_format: responseFormatSchema.optional(),
  safety_identifier: textSchema(1024).optional(),
  seed: z.number().int().nullish(),
  service_tier: z.enum(['auto', 'default', 'flex', 'scale', 'priority']).nullish(),
  stop: z.union([textSchema(), z.array(textSchema()).max(4)]).nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z
    .object({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() })
    .nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  tool_choice: toolChoiceSchema.optional(),
  tools: z.array(toolSchema).max(128).optional(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  user: textSchema(1024).optional(),
  verbosity: z.enum(['low', 'medium', 'high']).nullish(),
  web_search_options: jsonObjectSchema.optional(),
  session_id: z.string().max(256).optional(),
};

/** The body of `POST /chat/completions`. */
export const completionRequestSchema = z.looseObject(completionRequestShape);

/** The body of `POST /chat/completions`. */
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

/** Tokens spent by one completion. */
export const usageSchema = z.looseObject({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

/** Tokens spent by one completion. */
export type Usage = z.infer<typeof usageSchema>;

/** The reply message of a completion. */
export const replyMessageSchema = z.looseObject({
  role: z.literal('assistant'),
  content: z.string().nullable(),
  reasoning_content: z.string().nullish(),
  refusal: z.string().nullish(),
  tool_calls: z.array(toolCallSchema).optional(),
});

/** OpenAI's `chat.completion` object. */
export const completionSchema = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int(),
      message: replyMessageSchema,
      finish_reason: z.string().nullable(),
      logprobs: z.unknown().optional(),
    }),
  ),
  usage: usageSchema.optional(),
});

/** OpenAI's `chat.completion` object. */
export type Completion = z.infer<typeof completionSchema>;

/** One streamed `chat.completion.chunk`. */
export const completionChunkSchema = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int(),
      delta: z.looseObject({
        role: z.literal('assistant').optional(),
        content: z.string().nullish(),
        reasoning_content: z.string().nullish(),
        tool_calls: z.array(z.unknown()).optional(),
      }),
      finish_reason: z.string().nullable(),
    }),
  ),
  usage: usageSchema.nullish(),
});

/** One streamed `chat.completion.chunk`. */
export type CompletionChunk = z.infer<typeof completionChunkSchema>;

export const createCompletionMeta = {
  auth: 'user',
  openapi: {
    method: 'POST',
    path: '/chat/completions',
    summary: 'Create a chat completion (OpenAI-compatible)',
    description:
      'With `"stream": true` the answer is a `text/event-stream` of `chat.completion.chunk` events ending with `data: [DONE]`.',
    tags: ['chat'],
    errorResponses: {
      404: 'The model or the session does not exist',
      502: 'The model provider failed',
      504: 'The model provider did not answer in time',
    },
  },
} satisfies MojiMeta;
