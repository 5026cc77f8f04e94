// Curve smoothing as TensorBoard's scalar charts do it: an exponential moving average, debiased so that its first
// points are not pulled towards 0 (resmoothDataset in tensorboard/components/vz_line_chart2/line-chart.ts).

/** The largest weight the smoothing slider offers; at 1 the average would never move. */
export const MAX_SMOOTHING = 0.99;

/**
 * The debiased exponential moving average of `values` with `weight` (0: none; towards 1: smoother). With
 * last_0 = 0 and n counting the finite values so far, a finite value v gives last_n = weight * last_(n-1) +
 * (1 - weight) * v, shown as last_n / (1 - weight^n). Missing (null) and non-finite values are kept as they are and
 * leave the average alone; a series whose finite values are all equal is returned unchanged, without rounding noise.
 */
export function smoothSeries(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (!(weight >= 0 && weight < 1)) {
    throw new RangeError(`Expected a smoothing weight from 0 to below 1, got ${weight}.`);
  }
  const finite = values.filter((value): value is number => value !== null && Number.isFinite(value));
  if (weight === 0 || finite.every((value) => value === finite[0])) return [...values];
  let last = 0;
  let count = 0;
  return values.map((value) => {
    if (value === null || !Number.isFinite(value)) return value;
    last = last * weight + (1 - weight) * value;
    count += 1;
    return last / (1 - weight ** count);
  });
}
