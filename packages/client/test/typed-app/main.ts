// A small app that uses only the built @moji/client package, as a user's project would.
// The client test compiles it with tsc against the package's declarations and runs it
// against a server at MOJI_URL; it prints what it saw as one JSON line.
import {
  createMojiClient,
  MojiClientError,
  type MojiClientErrorCode,
  type Session,
  type StreamCompletionChunk,
  type User,
} from '@moji/client';

interface CaughtError {
  code: MojiClientErrorCode;
  status: number;
  requestId: string | undefined;
}

const moji = createMojiClient({ baseUrl: process.env['MOJI_URL'] ?? 'http://localhost:8000' });
const username = `app_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
const password = 'correct horse battery';

async function catchError(call: () => Promise<unknown>): Promise<CaughtError> {
  try {
    await call();
  } catch (error) {
    if (!(error instanceof MojiClientError)) throw error;

    return { code: error.code, status: error.status, requestId: error.requestId };
  }
  throw new Error('the call was expected to fail');
}

async function main(): Promise<void> {
  const user: User = await moji.auth.register.mutate({
    username,
    password,
    email: `${username}@example.com`,
  });
  const token = await moji.login(username, password);
  const [me, models] = await Promise.all([moji.auth.me.query(), moji.models.list.query()]);

  const completion = await moji.chat.createCompletion.mutate({
    model: 'echo',
    messages: [{ role: 'user', content: 'hello typed world' }],
  });
  const reply: string | null = completion.choices[0]?.message.content ?? null;

  const chunks: StreamCompletionChunk[] = [];
  const stream = moji.streamCompletion({
    model: 'echo',
    messages: [{ role: 'user', content: 'stream me please' }],
  });
  for await (const chunk of stream) chunks.push(chunk);
  const streamed = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');

  const session: Session = await moji.sessions.create.mutate({ initial_message: 'first words' });
  const sessions = await moji.sessions.list.query({ limit: 10 });

  const missingSession = await catchError(() =>
    moji.sessions.listMessages.query({ session_id: '01890000-0000-7000-8000-000000000000' }),
  );
  const missingModel = await catchError(async () => {
    for await (const chunk of moji.streamCompletion({
      model: 'no-such-model',
      messages: [{ role: 'user', content: 'hi' }],
    })) {
      void chunk;
    }
  });
  moji.setToken(undefined);
  const signedOut = await catchError(() => moji.auth.me.query());

  process.stdout.write(
    `${JSON.stringify({
      user,
      tokenType: token.token_type,
      keptToken: token.access_token.length > 0,
      me,
      modelIds: models.data.map((model) => model.id),
      reply,
      chunkCount: chunks.length,
      streamed,
      session,
      sessionIds: sessions.data.map((listed) => listed.id),
      missingSession,
      missingModel,
      signedOut,
    })}\n`,
  );
}

// Checks for the compiler only: wrong calls must not type-check.
export function misuses(): void {
  // @ts-expect-error `limit` is a number
  void moji.sessions.list.query({ limit: 'ten' });
  // @ts-expect-error there is no such procedure
  void moji.sessions.rename.mutate({ session_id: 'x' });
  // @ts-expect-error a message needs a role the contract knows
  void moji.streamCompletion({ messages: [{ role: 'robot', content: 'beep' }] });
  // @ts-expect-error codes are the contract's
  const code: MojiClientErrorCode = 'TEAPOT';
  void code;
}

await main();
