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
  await deps.limits.assertLoginAllowed(input.username);

  const user = await findUserByUsername(deps.database.db, input.username);
  const matches = await verifyPassword(user?.password_hash, input.password);
  if (!user || !matches || user.disabled) {
    await deps.limits.recordLoginFailure(input.username);
    throw authFailed('Invalid username or password');
  }

  return {
    access_token: await deps.tokens.sign(user.id),
    token_type: 'bearer',
    expires_in: deps.tokens.expiresIn,
  };
}
