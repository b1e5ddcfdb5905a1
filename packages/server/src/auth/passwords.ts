import { hash, verify } from '@node-rs/argon2';

// argon2id is the library's default algorithm; these are OWASP's minimum settings for it.
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

let dummyHash: Promise<string> | undefined;

/** Hashes a password with argon2id. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

/**
 * Checks a password against a stored hash. Without a hash (an unknown user), checks it
 * against a throwaway one, so that unknown users and wrong passwords take the same time.
 */
export async function verifyPassword(storedHash: string | undefined, password: string) {
  dummyHash ??= hashPassword('not the password of anyone');
  const target = storedHash ?? (await dummyHash);
  const matches = await verify(target, password).catch(() => false);

  return storedHash !== undefined && matches;
}
