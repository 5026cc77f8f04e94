// Remembers each key's value for a fixed time, so that a value that many requests ask for (the runs list's count) is
// read once per period rather than once per request. Readers of a key share one load while it is under way, and a
// load that fails is forgotten at once, so the next reader tries again.

export class ExpiringCache<Key, Value> {
  /** In the order they expire: every entry lives equally long, and a reload moves its key to the end. */
  private readonly entries = new Map<Key, { readonly value: Promise<Value>; readonly expiresAt: number }>();

  /**
   * @param maxAgeMs how long a value is reused after its load started, in milliseconds; 0 reuses none.
   * @param now the clock, in milliseconds.
   */
  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The key's value: the one loaded less than maxAgeMs ago, or a new one from `load`. */
  get(key: Key, load: () => Promise<Value>): Promise<Value> {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now) return entry.value;
    this.dropExpired(now);
    const value = load();
    if (this.maxAgeMs <= 0) return value;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + this.maxAgeMs });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  /** How many keys it holds, expired ones included until the next load. */
  get size(): number {
    return this.entries.size;
  }

  private dropExpired(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.entries.delete(key);
    }
  }
}
