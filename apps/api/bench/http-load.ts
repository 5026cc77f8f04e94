// Closed-loop load: N clients, each sending its next request as soon as the previous one answers, for a fixed time;
// every request timed on its own, failures counted rather than thrown.

/** Times one request and records it. */
export type TimeRequest = <T>(request: () => Promise<T>) => Promise<T>;

export interface LoadResult {
  readonly clients: number;
  readonly elapsedMs: number;
  readonly latenciesMs: readonly number[];
  readonly failures: number;
  /** The first failure's message, to say what went wrong. */
  readonly firstFailure: string | null;
}

export interface LoadOptions {
  readonly clients: number;
  readonly durationMs: number;
  /** One session of client `client`: any number of requests, each through `time`. Sessions repeat until time is up. */
  readonly session: (client: number, time: TimeRequest) => Promise<void>;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  const time: TimeRequest = async (request) => {
    const started = performance.now();
    const value = await request();
    latenciesMs.push(performance.now() - started);
    return value;
  };
  const started = performance.now();
  const deadline = started + options.durationMs;
  await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      while (performance.now() < deadline) {
        try {
          await options.session(client, time);
        } catch (error) {
          failures++;
          firstFailure ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  return { clients: options.clients, elapsedMs: performance.now() - started, latenciesMs, failures, firstFailure };
}
