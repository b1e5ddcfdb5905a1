import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectError, expectRawError } from './support/expect-error.js';
import { startMoji, type RunningMoji } from './support/moji.js';
import { readJson } from './support/read-json.js';
import { rawRequest } from './support/raw-request.js';
import { createUser, postJson, type TestUser } from './support/users.js';

let moji: RunningMoji;
let user: TestUser;
let sessionId: string;

beforeAll(async () => {
  moji = await startMoji();
  user = await createUser(moji.api);
  const res = await postJson(
    `${moji.api}/chat/sessions`,
    { initial_message: 'keep me' },
    user.headers,
  );
  sessionId = (await readJson(res)).id;
});

afterAll(async () => {
  await moji?.close();
});

async function sessionCount(): Promise<number> {
  const row = await moji.server.database.db
    .selectFrom('chat_sessions')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', user.id)
    .executeTakeFirstOrThrow();

  return Number(row.n);
}

function complete(session_id: unknown, headers = user.headers) {
  return postJson(
    `${moji.api}/chat/completions`,
    { model: 'echo', session_id, messages: [{ role: 'user', content: 'hi' }] },
    headers,
  );
}

// Path segments exactly as they go on the wire.
const badIds = [
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  '0190a0a0-0000-7000-8000-0000000000001',
  "'%20OR%201=1--",
  '%E2%98%83',
  'x'.repeat(5000),
  '%00',
  '..%2F..%2Fauth%2Fme',
  '0190a0a0-0000-7000-8000-00000000000%',
];

describe('D1: malformed and unknown session ids', () => {
  for (const id of badIds) {
    it(`returns 404 for ${id.slice(0, 40)}${id.length > 40 ? '...' : ''}`, async () => {
      const messages = await rawRequest(moji.origin, {
        method: 'GET',
        path: `/api/v1/chat/sessions/${id}/messages`,
        headers: user.headers,
      });
      expectRawError(messages, 404, 'NOT_FOUND');
      const deleted = await rawRequest(moji.origin, {
        method: 'DELETE',
        path: `/api/v1/chat/sessions/${id}`,
        headers: user.headers,
      });
      expectRawError(deleted, 404, 'NOT_FOUND');
      const decoded = (() => {
        try {
          return decodeURIComponent(id);
        } catch {
          return id;
        }
      })();
      if (decoded.length <= 256) await expectError(await complete(decoded), 404, 'NOT_FOUND');
    });
  }

  it('finds the session by its id in upper case, and percent-encoded', async () => {
    const upper = sessionId.toUpperCase();
    const res = await fetch(`${moji.api}/chat/sessions/${upper}/messages`, {
      headers: user.headers,
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await readJson(res)).data).toHaveLength(1);

    const encoded = [...sessionId].map((char) => `%${char.charCodeAt(0).toString(16)}`).join('');
    const viaEncoding = await rawRequest(moji.origin, {
      method: 'GET',
      path: `/api/v1/chat/sessions/${encoded}/messages`,
      headers: user.headers,
    });
    expect(viaEncoding.status, viaEncoding.text).toBe(200);

    const completion = await complete(upper);
    expect(completion.status, await completion.clone().text()).toBe(200);
  });

  it('returns 400 for a session_id of the wrong JSON type', async () => {
    for (const id of [42, true, null, {}, [sessionId]]) {
      const res = await complete(id);
      const error = await expectError(res, 400, 'VALIDATION_ERROR');
      expect((error.details['issues'] as { path: string }[]).map((issue) => issue.path)).toContain(
        'session_id',
      );
    }
  });

  it('never makes a session for an empty or unknown session_id', async () => {
    const before = await sessionCount();
    const empty = await complete('');
    expect([400, 404]).toContain(empty.status);
    await expectError(await complete('0190a0a0-0000-7000-8000-000000000000'), 404, 'NOT_FOUND');

    expect(await sessionCount()).toBe(before);
  });

  it("returns 404 for another user's session id everywhere", async () => {
    const other = await createUser(moji.api);
    await expectError(
      await fetch(`${moji.api}/chat/sessions/${sessionId}/messages`, { headers: other.headers }),
      404,
      'NOT_FOUND',
    );
    await expectError(await complete(sessionId, other.headers), 404, 'NOT_FOUND');
    const stream = await postJson(
      `${moji.api}/chat/completions`,
      {
        model: 'echo',
        stream: true,
        session_id: sessionId,
        messages: [{ role: 'user', content: 'x' }],
      },
      other.headers,
    );
    expect(stream.headers.get('content-type')).toMatch(/^application\/json/);
    await expectError(stream, 404, 'NOT_FOUND');
  });
});

describe('D2: after a delete', () => {
  it('reading, deleting again and completing give 404; nothing is re-created', async () => {
    const owner = await createUser(moji.api);
    const make = async (initial_message: string) => {
      const res = await postJson(`${moji.api}/chat/sessions`, { initial_message }, owner.headers);
      return (await readJson(res)).id as string;
    };
    const doomed = await make('doomed');
    const kept = await make('kept');

    const first = await fetch(`${moji.api}/chat/sessions/${doomed}`, {
      method: 'DELETE',
      headers: owner.headers,
    });
    expect(first.status, await first.clone().text()).toBe(204);

    await expectError(
      await fetch(`${moji.api}/chat/sessions/${doomed}/messages`, { headers: owner.headers }),
      404,
      'NOT_FOUND',
    );
    await expectError(
      await fetch(`${moji.api}/chat/sessions/${doomed}`, {
        method: 'DELETE',
        headers: owner.headers,
      }),
      404,
      'NOT_FOUND',
    );
    await expectError(await complete(doomed, owner.headers), 404, 'NOT_FOUND');

    const list = await fetch(`${moji.api}/chat/sessions`, { headers: owner.headers });
    const ids = ((await readJson(list)).data as { id: string }[]).map((session) => session.id);
    expect(ids).toEqual([kept]);
    const keptMessages = await fetch(`${moji.api}/chat/sessions/${kept}/messages`, {
      headers: owner.headers,
    });
    expect((await readJson(keptMessages)).data).toHaveLength(1);
    const rows = await moji.server.database.db
      .selectFrom('chat_messages')
      .select('id')
      .where('session_id', '=', doomed)
      .execute();
    expect(rows).toHaveLength(0);
  });
});
