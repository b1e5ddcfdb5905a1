import { z } from 'zod';

import { listSchema, pageQueryShape } from '../common.js';
import type { MojiMeta } from '../meta.js';

const instantSchema = z.iso.datetime({ offset: true });

/**
 * The query of `GET /admin/usage`: all time, or calls from `since` (inclusive) until `until`
 * (exclusive); paged by user id with `limit` and `after`.
 */
export const usageInputSchema = z
  .strictObject({
    since: instantSchema.optional(),
    until: instantSchema.optional(),
    ...pageQueryShape,
  })
  .optional();

/** The query of `GET /admin/usage`. */
export type UsageInput = z.infer<typeof usageInputSchema>;

/** One user's chat completion usage; a deleted user keeps the username they had. */
export const userUsageSchema = z.object({
  user_id: z.string(),
  username: z.string(),
  requests: z.number().int(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
});

/** One user's chat completion usage. */
export type UserUsage = z.infer<typeof userUsageSchema>;

/** A page of usage per user, by user id. */
export const usageListSchema = listSchema(userUsageSchema);

export const getUsageMeta = {
  auth: 'admin',
  openapi: {
    method: 'GET',
    path: '/admin/usage',
    summary: 'Report chat completion usage per user, all time or in a period (admins only)',
    tags: ['admin'],
  },
} satisfies MojiMeta;
