// Images per second of each timed step, summarized as the median and the range: a benchmark on a shared machine has
// outliers, which move a mean but not a median.

export interface ThroughputRange {
  /** images/s: the middle step's, or the mean of the two middle ones for an even count. */
  readonly median: number;
  /** images/s of the slowest step. */
  readonly min: number;
  /** images/s of the fastest step. */
  readonly max: number;
  /** How many timed steps. */
  readonly steps: number;
}

/** The throughput of steps that each processed `batchSize` images in the given seconds. */
export function throughputRange(batchSize: number, stepSeconds: readonly number[]): ThroughputRange {
  if (stepSeconds.length === 0) throw new RangeError('Expected at least one timed step, got none.');
  const bad = stepSeconds.find((seconds) => !(Number.isFinite(seconds) && seconds > 0));
  if (bad !== undefined) throw new RangeError(`Expected every step to take a positive time, got ${bad} s.`);
  const imagesPerSecond = stepSeconds.map((seconds) => batchSize / seconds).sort((a, b) => a - b);
  const middle = Math.floor(imagesPerSecond.length / 2);
  const median =
    imagesPerSecond.length % 2 === 1
      ? imagesPerSecond[middle]!
      : (imagesPerSecond[middle - 1]! + imagesPerSecond[middle]!) / 2;
  return { median, min: imagesPerSecond[0]!, max: imagesPerSecond.at(-1)!, steps: imagesPerSecond.length };
}
