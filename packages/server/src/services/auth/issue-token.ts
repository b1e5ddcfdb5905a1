import type { RequestInfo, Token, TokenInput } from '@moji/contracts';

import { verifyPassword } from '../../auth/passwords.js';
import { authFailed } from '../../auth/tokens.js';
import type { ServiceDeps } from '../deps.js';
import { findUserByUsername } from './find-user.js';

/**
 * Exchanges credentials for a token. An unknown user, a wrong password and a disabled
 * account get the same answer, after the same work.
 */
export async function issueToken(
  deps: ServiceDeps,
  input: TokenInput,
  request: RequestInfo,
): Promise<Token> {
  await deps.limits.chargeAuthAttempt(request.clientIp);
  await deps.limits.reserveLoginAttempt(input.username);

  let failed = false;
  let userId: string;
  try {
    const user = await findUserByUsername(deps.database.db, input.username);
    const matches = await verifyPassword(user?.password_hash, input.password);
    failed = !user || !matches || user.disabled;
    if (!user || failed) throw authFailed('Invalid username or password');
    userId = user.id;
  } finally {
    // Only a wrong password keeps its attempt counted; a success or an outage gives it back.
    if (!failed) await deps.limits.releaseLoginAttempt(input.username);
  }

  return {
    access_token: await deps.tokens.sign(userId),
    token_type: 'bearer',
    expires_in: deps.tokens.expiresIn,
  };
}
