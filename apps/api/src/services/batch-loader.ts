// Coalesces the loads of one tick into one query (the DataLoader pattern, without its cache). GraphQL resolves a
// field of every item of a list in one pass of the event loop, so a list of N models asks for their runs with one
// SQL statement instead of N. Nothing outlives its batch: each batch reads fresh rows, so no request sees another's
// stale data, and concurrent requests simply share a statement.

/** Loads the values of many keys at once; a key missing from the map has no value. */
export type LoadMany<Key, Value> = (keys: readonly Key[]) => Promise<ReadonlyMap<Key, Value>>;

interface Batch<Key, Value> {
  readonly waiting: Map<Key, { resolve: (value: Value | undefined) => void; reject: (error: unknown) => void }[]>;
}

export class BatchLoader<Key, Value> {
  private pending: Batch<Key, Value> | null = null;

  constructor(private readonly loadMany: LoadMany<Key, Value>) {}

  /** The key's value, or undefined when it has none. */
  load(key: Key): Promise<Value | undefined> {
    const batch = this.pending ?? this.schedule();
    return new Promise((resolve, reject) => {
      const waiting = batch.waiting.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else batch.waiting.set(key, [{ resolve, reject }]);
    });
  }

  private schedule(): Batch<Key, Value> {
    const batch: Batch<Key, Value> = { waiting: new Map() };
    this.pending = batch;
    // After the promise jobs already queued, then after the ones they queue (nextTick runs once the microtask queue
    // is empty): by then GraphQL has called the resolvers of every item of the list that is being completed.
    void Promise.resolve().then(() => process.nextTick(() => void this.dispatch(batch)));
    return batch;
  }

  private async dispatch(batch: Batch<Key, Value>): Promise<void> {
    if (this.pending === batch) this.pending = null;
    try {
      const values = await this.loadMany([...batch.waiting.keys()]);
      for (const [key, waiting] of batch.waiting) for (const { resolve } of waiting) resolve(values.get(key));
    } catch (error) {
      for (const waiting of batch.waiting.values()) for (const { reject } of waiting) reject(error);
    }
  }
}

/** Groups rows by a key, keeping their order. */
export function groupBy<Key, Row>(rows: readonly Row[], keyOf: (row: Row) => Key): Map<Key, Row[]> {
  const groups = new Map<Key, Row[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** Indexes rows by their id. */
export function byId<Row extends { readonly id: string }>(rows: readonly Row[]): Map<string, Row> {
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * A row that another row refers to (a foreign key), so it exists. When it does not, the database is inconsistent,
 * which no client can fix: the error is an internal one.
 */
export function referenced<Value>(what: string, id: string, value: Value | undefined): Value {
  if (value === undefined) throw new Error(`The ${what} with id '${id}' that another row refers to does not exist.`);
  return value;
}
