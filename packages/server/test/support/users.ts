import { randomUUID } from 'node:crypto';

/** A user made for one test, with a token. */
export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
  headers: Record<string, string>;
}

/** A username no other test uses. */
export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

/** POSTs JSON and returns the response. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Registers a fresh user and logs them in; `headers` go with both calls. */
export async function createUser(
  api: string,
  prefix = 'user',
  headers: Record<string, string> = {},
): Promise<TestUser> {
  const username = uniqueName(prefix);
  const password = 'correct horse battery';
  const email = `${username}@example.com`;
  const registered = await postJson(`${api}/auth/register`, { username, password, email }, headers);
  if (registered.status !== 201)
    throw new Error(`register failed: ${registered.status} ${await registered.text()}`);
  const { id } = (await registered.json()) as { id: string };
  const login = await postJson(`${api}/auth/token`, { username, password }, headers);
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const { access_token: token } = (await login.json()) as { access_token: string };

  return { id, username, email, password, token, headers: { authorization: `Bearer ${token}` } };
}
