import type { UserRow } from '../db/schema.js';

const TTL_MS = 5000;
const MAX_ENTRIES = 10_000;

/**
 * Users looked up by token, kept for up to five seconds. Whoever disables or deletes a
 * user drops the entry at once; other processes may serve a stale entry until it expires.
 */
export class UserCache {
  private readonly entries = new Map<string, { user: UserRow; expiresAt: number }>();

  get(id: string): UserRow | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(id);

      return undefined;
    }

    return entry.user;
  }

  set(user: UserRow): void {
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(user.id, { user, expiresAt: Date.now() + TTL_MS });
  }

  drop(id: string): void {
    this.entries.delete(id);
  }
}
