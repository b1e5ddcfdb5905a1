import { z } from 'zod';

import { timestampSchema } from '../common.js';

/** A user's role: `user`, or `admin`, who may manage users. */
export const roleSchema = z.enum(['user', 'admin']);

/** A user's role. */
export type Role = z.infer<typeof roleSchema>;

/** A user as the API shows them. */
export const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string(),
  role: roleSchema,
  created_at: timestampSchema,
});

/** A user as the API shows them. */
export type User = z.infer<typeof userSchema>;

/** A username: 3 to 64 of `A-Z a-z 0-9 _ . -`. */
export const usernameSchema = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'may hold only letters, digits, "_", "." and "-"');

/** An e-mail address of at most 254 characters. */
export const emailSchema = z.email().max(254);
