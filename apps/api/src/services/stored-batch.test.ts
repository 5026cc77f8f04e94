// Which batches a run keeps: all of a short run, a bounded sample of a long one with every epoch's last batch.
import { describe, expect, it } from 'vitest';
import { MAX_STORED_BATCHES, isStoredBatch, storedBatchStride } from './stored-batch.js';

/** The steps a run of `epochs` x `batchesPerEpoch` keeps, and whether each epoch's last batch is among them. */
function keptSteps(epochs: number, batchesPerEpoch: number) {
  const steps: number[] = [];
  const lastBatchesKept: boolean[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let batch = 1; batch <= batchesPerEpoch; batch++) {
      const kept = isStoredBatch(epoch, batch, batchesPerEpoch, epochs);
      if (kept) steps.push((epoch - 1) * batchesPerEpoch + batch);
      if (batch === batchesPerEpoch) lastBatchesKept.push(kept);
    }
  }
  return { steps, lastBatchesKept };
}

describe('isStoredBatch', () => {
  it('keeps every batch of a run of up to MAX_STORED_BATCHES - epochs steps', () => {
    expect(MAX_STORED_BATCHES).toBe(2000);
    expect(storedBatchStride(10, 199)).toBe(1);
    expect(keptSteps(10, 199).steps).toHaveLength(1990);
    expect(storedBatchStride(10, 200)).toBe(2);
  });

  it('keeps 1973 of the 78,200 batches of 200 epochs of 391 (CIFAR-10 at batch size 128), each epoch end included', () => {
    // Stride ceil(78200 / 1800) = 44: 1777 multiples of 44, and the 196 epoch ends 391 * e that are not (e not a
    // multiple of 44).
    expect(storedBatchStride(200, 391)).toBe(44);
    const { steps, lastBatchesKept } = keptSteps(200, 391);
    expect(steps).toHaveLength(1973);
    expect(steps.slice(0, 3)).toEqual([44, 88, 132]);
    expect(steps.at(-1)).toBe(78_200);
    expect(lastBatchesKept).toEqual(Array.from({ length: 200 }, () => true));
  });

  it('keeps only the epoch ends of a run with more epochs than MAX_STORED_BATCHES', () => {
    expect(keptSteps(2500, 3).steps).toEqual(Array.from({ length: 2500 }, (_, index) => 3 * (index + 1)));
  });
});
