import { z } from 'zod';

import { roleSchema } from '../auth/user.js';
import type { MojiMeta } from '../meta.js';
import { userRateLimitSchema } from './admin-user.js';

/** The path and body of `PATCH /admin/users/{id}`: any of role, disabled flag and hourly limit. */
export const updateUserInputSchema = z.strictObject({
  id: z.string(),
  role: roleSchema.optional(),
  disabled: z.boolean().optional(),
  rate_limit_per_hour: userRateLimitSchema.optional(),
});

/** The path and body of `PATCH /admin/users/{id}`. */
export type UpdateUserInput = z.infer<typeof updateUserInputSchema>;

export const updateUserMeta = {
  auth: 'admin',
  openapi: {
    method: 'PATCH',
    path: '/admin/users/{id}',
    summary: "Change a user's role, disabled flag or hourly limit (admins only)",
    tags: ['admin'],
    errorResponses: { 409: 'Changes the acting admin themselves, or leaves no admin' },
  },
} satisfies MojiMeta;
