// A map that keeps at most `capacity` entries, dropping the least recently used (read or written) first: the
// prediction service's loaded classifiers and its resolved targets.

export class LeastRecentlyUsed<Key, Value> {
  /** In the order of their last use, the least recent first. */
  private readonly entries = new Map<Key, Value>();

  /**
   * @param capacity entries kept; a `set` beyond it drops the least recently used.
   * @param onDrop called with each value dropped for capacity (not for `delete` or `clear`).
   */
  constructor(
    private readonly capacity: number,
    private readonly onDrop: (value: Value) => void = () => {},
  ) {}

  /** The key's value, now the most recently used; undefined when it holds none. */
  get(key: Key): Value | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Sets the key's value as the most recently used, and drops the least recently used beyond the capacity. */
  set(key: Key, value: Value): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const [oldest, dropped] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.onDrop(dropped);
    }
  }

  delete(key: Key): void {
    this.entries.delete(key);
  }

  /** Empties it, and returns what it held (for the caller to free). */
  clear(): Value[] {
    const values = [...this.entries.values()];
    this.entries.clear();
    return values;
  }
}
