const MAX_ENTRIES = 10_000;

/**
 * Keeps the reset time of each user's window steady. It is the store's remaining time added
 * to this process's clock, so two calls in one window can land a second apart when the
 * window ends close to a whole second; a client must see one Reset per window.
 */
export class WindowResets {
  private readonly resets = new Map<string, number>();

  /** Returns the reset already shown for this window, or records and returns `computed`. */
  settle(key: string, computed: number): number {
    const known = this.resets.get(key);
    if (known !== undefined && Math.abs(known - computed) <= 1) return known;

    if (this.resets.size >= MAX_ENTRIES) {
      const oldest = this.resets.keys().next().value;
      if (oldest !== undefined) this.resets.delete(oldest);
    }
    this.resets.delete(key);
    this.resets.set(key, computed);

    return computed;
  }
}
