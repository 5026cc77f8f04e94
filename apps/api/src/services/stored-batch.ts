// Which training batches a run keeps as BatchMetric rows: few enough that a 200-epoch run's curve loads fast, evenly
// spread over the run, and the last batch of every epoch so that each epoch ends on a point.

/** Most batch rows a run keeps, when it has fewer epochs than this. */
export const MAX_STORED_BATCHES = 2000;

/**
 * Every how many steps a run with `epochs` epochs of `batchesPerEpoch` batches keeps one: 1 (every batch) while
 * the run has at most MAX_STORED_BATCHES - epochs steps. The multiples of the stride are at most
 * MAX_STORED_BATCHES - epochs, and the epochs' last batches at most `epochs` more, so a run keeps at most
 * MAX_STORED_BATCHES rows (`epochs` when it has more epochs than that: one per epoch).
 */
export function storedBatchStride(epochs: number, batchesPerEpoch: number): number {
  const steps = epochs * batchesPerEpoch;
  return Math.ceil(steps / Math.max(MAX_STORED_BATCHES - epochs, 1));
}

/** The 1-based step over the whole run of batch `batch` (1-based) of epoch `epoch`. */
export function stepOf(epoch: number, batch: number, batchesPerEpoch: number): number {
  return (epoch - 1) * batchesPerEpoch + batch;
}

/** Whether batch `batch` of `batchesPerEpoch` in epoch `epoch` of a run of `epochs` epochs is stored. */
export function isStoredBatch(epoch: number, batch: number, batchesPerEpoch: number, epochs: number): boolean {
  return (
    batch === batchesPerEpoch ||
    stepOf(epoch, batch, batchesPerEpoch) % storedBatchStride(epochs, batchesPerEpoch) === 0
  );
}
