/** What the traffic saw: answers by status, and every turn the server acknowledged. */
export interface Ledger {
  sent: number;
  byStatus: Map<string, number>;
  /** Turns answered 200 (or streamed to `[DONE]`) with a session: they must be stored. */
  acknowledged: { sessionId: string; token: string; prompt: string; reply: string }[];
}

/** A user of the load: a token and the sessions it made. */
export interface LoadUser {
  name: string;
  token: string;
  sessions: string[];
}

const REQUEST_TIMEOUT_MS = 15_000;

export function createLedger(): Ledger {
  return { sent: 0, byStatus: new Map(), acknowledged: [] };
}

function count(ledger: Ledger, key: string): void {
  ledger.byStatus.set(key, (ledger.byStatus.get(key) ?? 0) + 1);
}

/** Sends one request, counts its answer and returns it (undefined when none came). */
export async function send(
  ledger: Ledger,
  url: string,
  init: { method?: string; token?: string; body?: unknown },
): Promise<{ status: number; text: string } | undefined> {
  ledger.sent += 1;
  try {
    const res = await fetch(url, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    count(ledger, String(res.status));

    return { status: res.status, text };
  } catch (error) {
    count(ledger, (error as Error).name === 'TimeoutError' ? 'timeout' : 'network error');

    return undefined;
  }
}

function streamedReply(text: string): string | undefined {
  if (!text.trimEnd().endsWith('data: [DONE]')) return undefined;
  const deltas = text
    .split('\n\n')
    .filter((event) => event.startsWith('data: {'))
    .map((event) => JSON.parse(event.slice(6)) as { choices?: { delta?: { content?: string } }[] });

  return deltas.map((chunk) => chunk.choices?.[0]?.delta?.content ?? '').join('');
}

/** One user's loop until the deadline: sessions, turns (plain and streamed) and reads. */
export async function runUser(
  ledger: Ledger,
  api: string,
  user: LoadUser,
  deadline: number,
  seed: number,
) {
  let turn = 0;
  while (Date.now() < deadline) {
    turn += 1;
    let answer: { status: number; text: string } | undefined;
    const roll = (seed * 7919 + turn * 104_729) % 10;
    if (user.sessions.length === 0 || roll === 0) {
      answer = await send(ledger, `${api}/chat/sessions`, { token: user.token, body: {} });
      if (answer?.status === 201)
        user.sessions.push((JSON.parse(answer.text) as { id: string }).id);
    } else if (roll <= 6) {
      const sessionId = user.sessions[turn % user.sessions.length] ?? '';
      const prompt = `${user.name} turn ${turn} of session ${sessionId.slice(-6)}`;
      const stream = roll >= 5;
      const body = {
        model: 'echo',
        session_id: sessionId,
        stream,
        messages: [{ role: 'user', content: prompt }],
      };
      answer = await send(ledger, `${api}/chat/completions`, { token: user.token, body });
      if (answer?.status === 200) {
        const reply = stream
          ? streamedReply(answer.text)
          : (JSON.parse(answer.text) as { choices: { message: { content: string } }[] }).choices[0]
              ?.message.content;
        if (reply !== undefined)
          ledger.acknowledged.push({ sessionId, token: user.token, prompt, reply });
      }
    } else if (roll <= 8) {
      answer = await send(ledger, `${api}/chat/sessions?limit=5`, { token: user.token });
    } else {
      answer = await send(ledger, `${api}/health`, {});
    }
    // Back off a little after a refusal, as a client would, so an outage is not a busy loop.
    if (!answer || answer.status >= 400) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface StoredMessage {
  id: string;
  role: string;
  content: unknown;
  incomplete: boolean;
}

async function readSession(
  api: string,
  token: string,
  sessionId: string,
): Promise<StoredMessage[]> {
  const messages: StoredMessage[] = [];
  let after = '';
  for (let page = 0; page < 1000; page += 1) {
    const res = await fetch(`${api}/chat/sessions/${sessionId}/messages?limit=200${after}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status !== 200)
      throw new Error(`reading session ${sessionId}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { data: StoredMessage[]; has_more: boolean };
    messages.push(...body.data);
    if (!body.has_more) break;
    after = `&after=${body.data.at(-1)?.id}`;
  }

  return messages;
}

/** Counts acknowledged turns that the sessions do not hold: a user message and its reply. */
export async function countMissingTurns(
  api: string,
  ledger: Ledger,
): Promise<{ missing: number; checked: number }> {
  const bySession = new Map<string, StoredMessage[]>();
  let missing = 0;
  for (const turn of ledger.acknowledged) {
    let messages = bySession.get(turn.sessionId);
    if (!messages) {
      messages = await readSession(api, turn.token, turn.sessionId);
      bySession.set(turn.sessionId, messages);
    }
    const index = messages.findIndex(
      (message) => message.role === 'user' && message.content === turn.prompt,
    );
    const reply = messages[index + 1];
    const stored =
      index >= 0 &&
      reply?.role === 'assistant' &&
      reply.content === turn.reply &&
      !reply.incomplete;
    if (!stored) missing += 1;
  }

  return { missing, checked: ledger.acknowledged.length };
}
