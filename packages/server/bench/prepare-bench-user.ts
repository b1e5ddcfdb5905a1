import { randomBytes } from 'node:crypto';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);

  return response.json() as Promise<Record<string, unknown>>;
}

async function logIn(api: string, username: string, password: string): Promise<string> {
  const { access_token: token } = await post(`${api}/auth/token`, { username, password });

  return String(token);
}

/**
 * Registers a fresh user for a benchmark run and has the admin raise their hourly limit out
 * of the way, still on, so that the limiter is charged on every call as in production.
 */
export async function prepareBenchUser(
  api: string,
  admin: { username: string; password: string },
): Promise<Record<string, string>> {
  const username = `bench_${randomBytes(6).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const user = await post(`${api}/auth/register`, {
    username,
    password,
    email: `${username}@example.com`,
  });

  const adminToken = await logIn(api, admin.username, admin.password);
  const patched = await fetch(`${api}/admin/users/${String(user['id'])}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ rate_limit_per_hour: 1_000_000_000 }),
  });
  if (!patched.ok)
    throw new Error(`raising the limit failed: ${patched.status} ${await patched.text()}`);

  return { authorization: `Bearer ${await logIn(api, username, password)}` };
}
