import { z } from 'zod';

import { textSchema } from '../common.js';

const textPartSchema = z.object({ type: z.literal('text'), text: textSchema() });

const imagePartSchema = z.object({
  type: z.literal('image_url'),
  image_url: z.object({
    url: textSchema(),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
});

const audioPartSchema = z.object({
  type: z.literal('input_audio'),
  input_audio: z.object({ data: textSchema(), format: z.enum(['wav', 'mp3']) }),
});

const filePartSchema = z.object({
  type: z.literal('file'),
  file: z.object({
    file_data: textSchema().optional(),
    file_id: textSchema(256).optional(),
    filename: textSchema(1024).optional(),
  }),
});

const refusalPartSchema = z.object({ type: z.literal('refusal'), refusal: textSchema() });

const textContentSchema = z.union([textSchema(), z.array(textPartSchema).min(1)]);

const userContentSchema = z.union([
  textSchema(),
  z
    .array(
      z.discriminatedUnion('type', [
        textPartSchema,
        imagePartSchema,
        audioPartSchema,
        filePartSchema,
      ]),
    )
    .min(1),
]);

const assistantContentSchema = z.union([
  textSchema(),
  z.array(z.discriminatedUnion('type', [textPartSchema, refusalPartSchema])),
]);

/** A call the model asked for, as OpenAI sends it in `tool_calls`. */
export const toolCallSchema = z.object({
  id: textSchema(1024),
  type: z.literal('function'),
  function: z.object({ name: textSchema(1024), arguments: textSchema() }),
});

/** A call the model asked for. */
export type ToolCall = z.infer<typeof toolCallSchema>;

const nameSchema = textSchema(256).optional();

/** One message of a conversation, in OpenAI's shapes, told apart by `role`. */
export const messageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: textContentSchema, name: nameSchema }),
  z.object({ role: z.literal('developer'), content: textContentSchema, name: nameSchema }),
  z.object({ role: z.literal('user'), content: userContentSchema, name: nameSchema }),
  z.object({
    role: z.literal('assistant'),
    content: assistantContentSchema.nullish(),
    name: nameSchema,
    refusal: textSchema().nullish(),
    tool_calls: z.array(toolCallSchema).max(1024).optional(),
    function_call: z.object({ name: textSchema(1024), arguments: textSchema() }).nullish(),
    reasoning_content: textSchema().nullish(),
  }),
  z.object({ role: z.literal('tool'), content: textContentSchema, tool_call_id: textSchema(1024) }),
  z.object({
    role: z.literal('function'),
    content: textSchema().nullable(),
    name: textSchema(256),
  }),
]);

/** One message of a conversation. */
export type Message = z.infer<typeof messageSchema>;

/** A message's role. */
export type MessageRole = Message['role'];
