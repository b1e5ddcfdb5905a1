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
 * Whether the database refused the rows themselves (SQLSTATE class 22, data exception, or
 * 23, integrity violation), not because it is unavailable: trying again later cannot help.
 */
function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;

  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/**
 * Writes the usage of every completion, the calls that finish in the same turn of the event
 * loop sharing one INSERT (a group commit): under load that is one statement for many calls.
 * `record` resolves once its row is written, so a call's usage can be read as soon as it is
 * answered. While the database refuses, rows wait in memory and are tried again, and
 * `record` resolves at once: usage is not lost, and answers are not held back by it.
 */
export class UsageRecorder {
  private queue: UsageRow[] = [];
  private waiters: (() => void)[] = [];
  private scheduled = false;
  private writing: Promise<void> | undefined;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
  ) {}

  /** Records the tokens one call spent, under the user's current name. */
  record(
    user: { id: string; username: string },
    model: string,
    usage: Usage | null | undefined,
  ): Promise<void> {
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
    if (this.failures > 0) return Promise.resolve();

    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.schedule();
    });
  }

  /** Writes every queued row now; rejects if the database refuses (the rows stay queued). */
  async flush(): Promise<void> {
    this.clearRetry();
    while (this.writing || this.queue.length > 0) {
      if (this.writing) await this.writing;
      else await this.writeBatch();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.writing || this.retryTimer) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.writing = this.writeQueued().finally(() => {
        this.writing = undefined;
        if (this.waiters.length > 0) this.schedule();
      });
    });
  }

  private async writeQueued(): Promise<void> {
    const waiters = this.waiters;
    this.waiters = [];
    try {
      while (this.queue.length > 0) await this.writeBatch();
    } catch {
      this.scheduleRetry();
    } finally {
      for (const resolve of waiters) resolve();
    }
  }

  private async writeBatch(): Promise<void> {
    const batch = this.queue.splice(0, BATCH_SIZE);
    try {
      await this.database.db.insertInto('usage_records').values(batch).execute();
      this.failures = 0;
    } catch (error) {
      if (isRowError(error)) {
        await this.writeOneByOne(batch);

        return;
      }
      this.queue.unshift(...batch);
      this.failures += 1;
      this.log.warn({ err: error, queued: this.queue.length }, 'usage not written yet');
      throw error;
    }
  }

  /**
   * Writes a refused batch row by row, so that one bad row does not hold back the others:
   * a row the database still refuses for its data is dropped, and logged.
   */
  private async writeOneByOne(batch: UsageRow[]): Promise<void> {
    for (const [index, row] of batch.entries()) {
      try {
        await this.database.db.insertInto('usage_records').values(row).execute();
      } catch (error) {
        if (!isRowError(error)) {
          this.queue.unshift(...batch.slice(index));
          this.failures += 1;
          this.log.warn({ err: error, queued: this.queue.length }, 'usage not written yet');
          throw error;
        }
        this.log.error({ err: error, row }, 'usage row refused by the database; dropped');
      }
    }
    this.failures = 0;
  }

  private clearRetry(): void {
    if (!this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private scheduleRetry(): void {
    const delay = RETRY_DELAYS_MS[Math.min(this.failures, RETRY_DELAYS_MS.length) - 1] ?? 1000;
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.queue.length > 0) this.schedule();
    }, delay);
    this.retryTimer.unref();
  }
}
