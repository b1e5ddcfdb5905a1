import { z } from 'zod';

import { listSchema, pageQueryShape, textSchema, timestampSchema } from '../common.js';
import type { MojiMeta } from '../meta.js';

/** A chat session: a stored conversation. */
export const sessionSchema = z.object({
  id: z.string(),
  title: z.string().nullable(),
  created_at: timestampSchema,
  updated_at: timestampSchema,
  message_count: z.number().int(),
});

/** A chat session. */
export type Session = z.infer<typeof sessionSchema>;

/** One stored message of a session. */
export const storedMessageSchema = z.object({
  id: z.string(),
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.unknown(),
  name: z.string().nullable(),
  tool_calls: z.array(z.unknown()).nullable(),
  tool_call_id: z.string().nullable(),
  reasoning_content: z.string().nullable(),
  incomplete: z.boolean(),
  model: z.string().nullable(),
  created_at: timestampSchema,
});

/** One stored message of a session. */
export type StoredMessage = z.infer<typeof storedMessageSchema>;

/** The body of `POST /chat/sessions`. */
export const createSessionInputSchema = z
  .strictObject({ initial_message: textSchema().optional() })
  .optional();

/** The body of `POST /chat/sessions`. */
export type CreateSessionInput = z.infer<typeof createSessionInputSchema>;

export const listSessionsInputSchema = z.strictObject(pageQueryShape).optional();
export type ListSessionsInput = z.infer<typeof listSessionsInputSchema>;
export const sessionListSchema = listSchema(sessionSchema);

export const sessionIdInputSchema = z.strictObject({ session_id: z.string() });
export type SessionIdInput = z.infer<typeof sessionIdInputSchema>;

export const listMessagesInputSchema = z.strictObject({
  session_id: z.string(),
  ...pageQueryShape,
});
export type ListMessagesInput = z.infer<typeof listMessagesInputSchema>;
export const messageListSchema = listSchema(storedMessageSchema);

export const createSessionMeta = {
  auth: 'user',
  successStatus: 201,
  openapi: {
    method: 'POST',
    path: '/chat/sessions',
    summary: 'Start a chat session, optionally with its first user message',
    tags: ['sessions'],
  },
} satisfies MojiMeta;

export const listSessionsMeta = {
  auth: 'user',
  openapi: {
    method: 'GET',
    path: '/chat/sessions',
    summary: "List the caller's sessions, last active first",
    tags: ['sessions'],
  },
} satisfies MojiMeta;

export const listMessagesMeta = {
  auth: 'user',
  openapi: {
    method: 'GET',
    path: '/chat/sessions/{session_id}/messages',
    summary: "List a session's messages, oldest first",
    tags: ['sessions'],
  },
} satisfies MojiMeta;

export const deleteSessionMeta = {
  auth: 'user',
  successStatus: 204,
  openapi: {
    method: 'DELETE',
    path: '/chat/sessions/{session_id}',
    summary: 'Delete a session and its messages',
    tags: ['sessions'],
  },
} satisfies MojiMeta;
