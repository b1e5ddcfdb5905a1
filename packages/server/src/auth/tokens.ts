import { jwtVerify, SignJWT } from 'jose';

import { MojiError } from '@moji/contracts';

/** The answer to every authentication failure: 401 with `WWW-Authenticate: Bearer`. */
export function authFailed(message: string): MojiError {
  return new MojiError('AUTH_FAILED', message, { headers: { 'WWW-Authenticate': 'Bearer' } });
}

/** Tokens remembered after a successful check. */
const MAX_VERIFIED = 10_000;

/** Signs and checks HS256 access tokens whose subject is a user id. */
export class TokenIssuer {
  private readonly key: Uint8Array;
  // A signature check through WebCrypto costs more than the rest of a request's auth; a
  // token string that passed once passes again until its `exp`, which is checked each time.
  private readonly verified = new Map<string, { subject: string; expiresAtMs: number }>();

  constructor(
    secret: string,
    readonly expiresIn: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** Issues a token for a user id. */
  sign(userId: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${this.expiresIn}s`)
      .sign(this.key);
  }

  /** Returns the user id a token was issued for; throws AUTH_FAILED when it is not valid. */
  async verify(token: string): Promise<string> {
    const known = this.verified.get(token);
    if (known && known.expiresAtMs > Date.now()) return known.subject;
    if (known) this.verified.delete(token);

    try {
      // Every token Moji signs carries both; one without `exp` would never expire.
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'sub'],
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('no subject');
      this.remember(token, payload.sub, (payload.exp ?? 0) * 1000);

      return payload.sub;
    } catch {
      throw authFailed('Invalid or expired token');
    }
  }

  private remember(token: string, subject: string, expiresAtMs: number): void {
    if (this.verified.size >= MAX_VERIFIED) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(token, { subject, expiresAtMs });
  }
}

const bearerPattern = /^bearer +([^\s]+)$/i;

/** Takes the token out of an `Authorization: Bearer <token>` header. */
export function readBearerToken(header: string | undefined): string {
  if (header === undefined || header === '') throw authFailed('Missing bearer token');
  const match = bearerPattern.exec(header.trim() === header ? header : '');
  if (!match?.[1]) throw authFailed('Authorization must be "Bearer <token>"');

  return match[1];
}
