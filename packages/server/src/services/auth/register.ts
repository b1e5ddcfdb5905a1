import { MojiError, type RegisterInput, type RequestInfo, type User } from '@moji/contracts';
import { v7 as uuidv7 } from 'uuid';

import { hashPassword } from '../../auth/passwords.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { ServiceDeps } from '../deps.js';
import { toUser } from './to-user.js';

/** Creates an account; usernames and e-mails are unique regardless of letter case. */
export async function register(
  deps: ServiceDeps,
  input: RegisterInput,
  request: RequestInfo,
): Promise<User> {
  await deps.limits.chargeAuthAttempt(request.clientIp);
  const passwordHash = await hashPassword(input.password);

  try {
    const row = await deps.database.db
      .insertInto('users')
      .values({
        id: uuidv7(),
        username: input.username,
        email: input.email,
        password_hash: passwordHash,
        role: 'user',
        rate_limit_per_hour: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();

    return toUser(row);
  } catch (error) {
    const constraint = isUniqueViolation(error);
    if (constraint) {
      const field = constraint.includes('email') ? 'email' : 'username';
      throw new MojiError(
        'CONFLICT',
        `That ${field === 'email' ? 'e-mail' : 'username'} is already taken`,
        {
          details: { field },
        },
      );
    }
    throw error;
  }
}
