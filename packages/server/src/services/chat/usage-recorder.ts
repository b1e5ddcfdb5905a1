import type { Usage } from '@moji/contracts';
import type { Insertable } from 'kysely';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';

import type { Database } from '../../db/database.js';
import type { UsageRecordsTable } from '../../db/schema.js';

type UsageRow = Insertable<UsageRecordsTable>;

/** Rows written by one INSERT. */
const BATCH_SIZE = 500;
/** Rows kept while the database is down; past this the oldest are dropped, and logged. */
const MAX_QUEUED = 100_000;
const RETRY_DELAYS_MS = [250, 1000, 5000, 15_000];

/**
 * Writes the usage of every completion without holding its answer back. Rows recorded in
 * the same turn of the event loop go in one INSERT; while the database is down they wait and
 * are tried again; `flush()` (before reading usage, and when the server stops) writes all.
 */
export class UsageRecorder {
  private queue: UsageRow[] = [];
  private writing: Promise<void> | undefined;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
  ) {}

  /** Queues the tokens one call spent, under the user's current name. */
  record(user: { id: string; username: string }, model: string, usage: Usage | null | undefined) {
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.shift();
      this.log.error({ queued: this.queue.length }, 'usage queue full; oldest row dropped');
    }
    this.queue.push({
      id: uuidv7(),
      user_id: user.id,
      username: user.username,
      model,
      prompt_tokens: usage?.prompt_tokens ?? 0,
      completion_tokens: usage?.completion_tokens ?? 0,
      created_at: new Date(),
    });
    if (!this.writing && !this.retryTimer) this.writing = this.writeSoon();
  }

  /** Resolves once every row recorded so far is written; rejects if the database refuses. */
  async flush(): Promise<void> {
    this.clearRetry();
    while (this.writing || this.queue.length > 0) {
      if (this.writing) await this.writing;
      else await this.writeBatch();
    }
  }

  private clearRetry(): void {
    if (!this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private async writeSoon(): Promise<void> {
    // One tick's worth of calls shares an INSERT.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) await this.writeBatch();
    } catch {
      this.scheduleRetry();
    } finally {
      this.writing = undefined;
    }
  }

  private async writeBatch(): Promise<void> {
    const batch = this.queue.splice(0, BATCH_SIZE);
    try {
      await this.database.db.insertInto('usage_records').values(batch).execute();
      this.failures = 0;
    } catch (error) {
      this.queue.unshift(...batch);
      this.failures += 1;
      this.log.warn({ err: error, queued: this.queue.length }, 'usage not written yet');
      throw error;
    }
  }

  private scheduleRetry(): void {
    const delay = RETRY_DELAYS_MS[Math.min(this.failures, RETRY_DELAYS_MS.length) - 1] ?? 1000;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.writing && this.queue.length > 0) this.writing = this.writeSoon();
    }, delay);
    this.retryTimer.unref();
  }
}
