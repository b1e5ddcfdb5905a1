import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError } from './support/expect-error.js';
import { startMoji, TEST_JWT_SECRET, type RunningMoji } from './support/moji.js';
import { createUser, postJson, type TestUser } from './support/users.js';

let moji: RunningMoji;
let user: TestUser;

beforeAll(async () => {
  moji = await startMoji();
  user = await createUser(moji.api);
});

afterAll(async () => {
  await moji?.close();
});

const secret = new TextEncoder().encode(TEST_JWT_SECRET);

function encode(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}

function partsOf(token: string) {
  const [header = '', payload = '', signature = ''] = token.split('.');

  return { header, payload, signature };
}

async function sign(claims: Record<string, unknown>, options: { exp?: number; nbf?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);

  return jwt.setExpirationTime(options.exp ?? now + 3600).sign(secret);
}

async function expectRefused(authorization: string | undefined, label: string) {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  const res = await fetch(`${moji.api}/auth/me`, { headers });
  const challenge = res.headers.get('www-authenticate');
  const text = await res.clone().text();
  await expectError(res, 401, 'AUTH_FAILED');

  expect(challenge, `${label}: ${text}`).toBe('Bearer');
}

describe('T1: forged tokens', () => {
  it('accepts the untouched token', async () => {
    const res = await fetch(`${moji.api}/auth/me`, { headers: user.headers });

    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('refuses alg none, "None", a cut signature and an HS512 relabel', async () => {
    const { payload, signature } = partsOf(user.token);
    const forged = {
      'alg none': `${encode({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      'alg None': `${encode({ alg: 'None', typ: 'JWT' })}.${payload}.`,
      'alg NONE without a dot': `${encode({ alg: 'NONE' })}.${payload}`,
      'signature cut off': `${partsOf(user.token).header}.${payload}.`,
      'signature and its dot cut off': `${partsOf(user.token).header}.${payload}`,
      'HS512 relabel': `${encode({ alg: 'HS512', typ: 'JWT' })}.${payload}.${signature}`,
      'RS256 relabel': `${encode({ alg: 'RS256', typ: 'JWT' })}.${payload}.${signature}`,
      'half the signature': `${partsOf(user.token).header}.${payload}.${signature.slice(0, 20)}`,
    };
    for (const [label, token] of Object.entries(forged)) {
      await expectRefused(`Bearer ${token}`, label);
    }
  });

  it('refuses a token signed with another key or with an edited payload', async () => {
    const other = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-0123456789'));
    await expectRefused(`Bearer ${other}`, 'other key');

    const victim = await createUser(moji.api, 'victim');
    const { header, payload, signature } = partsOf(user.token);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const edited = `${header}.${encode({ ...claims, sub: victim.id })}.${signature}`;
    await expectRefused(`Bearer ${edited}`, 'edited subject');
  });
});

describe('T2: malformed Authorization headers', () => {
  it('returns 401 with WWW-Authenticate for each', async () => {
    const { header, payload, signature } = partsOf(user.token);
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      'Bearer alone': 'Bearer',
      'Bearer and a space': 'Bearer ',
      'one segment': 'Bearer abcdef',
      'two segments': `Bearer ${header}.${payload}`,
      'five segments': `Bearer ${header}.${payload}.${signature}.abc.def`,
      'non-base64url characters': `Bearer ${header}.${payload}*+/=.${signature}`,
      'payload not JSON, unsigned': `Bearer ${header}.${encode('not json')}.${signature}`,
      Basic: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`,
      '4 KB of junk appended': `Bearer ${user.token}${'A'.repeat(4096)}`,
      'junk after a space': `Bearer ${user.token} junk`,
      'token without a scheme': user.token,
      'another scheme': `Token ${user.token}`,
    };
    for (const [label, authorization] of Object.entries(cases)) {
      await expectRefused(authorization, label);
    }
  });

  it('returns 401 for a correctly signed payload that is not JSON', async () => {
    const signingInput = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode('not json at all')}`;
    const { createHmac } = await import('node:crypto');
    const mac = createHmac('sha256', TEST_JWT_SECRET).update(signingInput).digest('base64url');

    await expectRefused(`Bearer ${signingInput}.${mac}`, 'signed non-JSON payload');
  });

  it('accepts "bearer" and "BEARER" as the scheme', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'bEaReR']) {
      const res = await fetch(`${moji.api}/auth/me`, {
        headers: { authorization: `${scheme} ${user.token}` },
      });
      expect(res.status, `${scheme}: ${await res.clone().text()}`).toBe(200);
    }
  });

  it('does not take a token from the query string', async () => {
    const res = await fetch(`${moji.api}/models?access_token=${user.token}`);

    await expectError(res, 401, 'AUTH_FAILED');
  });
});

describe('T3: tokens outside their lifetime or without the claims Moji signs', () => {
  it('refuses an expired token and one not valid for another hour', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await sign({ sub: user.id }, { exp: now - 60 });
    const early = await sign({ sub: user.id }, { nbf: now + 3600, exp: now + 7200 });
    const valid = await sign({ sub: user.id });

    await expectRefused(`Bearer ${expired}`, 'expired');
    await expectRefused(`Bearer ${early}`, 'nbf an hour ahead');
    const res = await fetch(`${moji.api}/auth/me`, {
      headers: { authorization: `Bearer ${valid}` },
    });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('refuses a token whose subject is missing, a username, or not a user', async () => {
    const subjects = [{}, { sub: user.username }, { sub: '0190a0a0-0000-7000-8000-000000000000' }];
    for (const claims of subjects) {
      await expectRefused(`Bearer ${await sign(claims)}`, JSON.stringify(claims));
    }
  });

  it('refuses a token that never expires', async () => {
    const endless = await new SignJWT({ sub: user.id })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt()
      .sign(secret);

    await expectRefused(`Bearer ${endless}`, 'no exp');
  });

  it('answers an expired token on the streaming path with a JSON 401, not a stream', async () => {
    const expired = await sign({ sub: user.id }, { exp: Math.floor(Date.now() / 1000) - 60 });
    const res = await postJson(
      `${moji.api}/chat/completions`,
      { model: 'echo', stream: true, messages: [{ role: 'user', content: 'hello' }] },
      { authorization: `Bearer ${expired}` },
    );

    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    await expectError(res, 401, 'AUTH_FAILED');
  });
});
