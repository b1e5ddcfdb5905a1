import { z } from 'zod';

import { userSchema } from '../auth/user.js';

/** The most requests per hour an admin may give one user. */
export const MAX_RATE_LIMIT_PER_HOUR = 1_000_000_000;

/** A user's own hourly limit: 0 turns it off, null means the server's default. */
export const userRateLimitSchema = z.number().int().min(0).max(MAX_RATE_LIMIT_PER_HOUR).nullable();

/** A user as admins see them: with the disabled flag and their own hourly limit. */
export const adminUserSchema = userSchema.extend({
  disabled: z.boolean(),
  rate_limit_per_hour: userRateLimitSchema,
});

/** A user as admins see them. */
export type AdminUser = z.infer<typeof adminUserSchema>;

/** The path of a route about one user: `/admin/users/{id}`. */
export const userIdInputSchema = z.strictObject({ id: z.string() });

/** The path of a route about one user. */
export type UserIdInput = z.infer<typeof userIdInputSchema>;
