// The run page's batch-loss curve: the batches the API stored (Run.batchMetrics, loaded with the run) followed by
// those that arrive live, thinned as the API stores them so that a long run's curve stays a few thousand points.

/** A type, not an interface, so that it is a chart row (Record<string, number | null>). */
export type BatchPoint = {
  /** 1-based step over the whole run: (epoch - 1) * batches per epoch + batch. */
  readonly step: number;
  readonly loss: number;
};

/** Most live points kept between loads; with the API's rule (at most about 2000 a run) there are fewer. */
const MAX_LIVE_POINTS = 2000;

/**
 * Adds the newest live batch of a run of `epochs` epochs of `batches` batches. Earlier live batches stay when the API
 * stores them too (apps/api/src/services/stored-batch.ts): their step is a multiple of the run's stride, or they
 * end an epoch. The newest is always shown.
 */
export function addLiveBatch(live: readonly BatchPoint[], point: BatchPoint, epochs: number, batches: number) {
  const stride = Math.ceil((epochs * batches) / Math.max(2000 - epochs, 1));
  const kept = live.filter(
    (previous) => previous.step < point.step && (previous.step % stride === 0 || previous.step % batches === 0),
  );
  return [...kept.slice(-(MAX_LIVE_POINTS - 1)), point];
}

/** The stored points, then the live ones after the last stored step. */
export function batchCurve(stored: readonly BatchPoint[], live: readonly BatchPoint[]): BatchPoint[] {
  const lastStored = stored.at(-1)?.step ?? 0;
  return [...stored.map(({ step, loss }) => ({ step, loss })), ...live.filter((point) => point.step > lastStored)];
}
