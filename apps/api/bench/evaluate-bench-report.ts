// The figures of `npm run bench:evaluate` as a table: each evaluateCheckpoint call's images/s end to end and by the
// server's own clock, against the forward rate of the same model at the same batch size measured in the same run.
import type { ThroughputRange } from '../../../packages/trainer/bench/throughput-range.js';
import { formatTable } from './format-table.js';

export interface EvaluationTiming {
  /** The whole mutation as the client sees it: HTTP, worker start, loading, forward passes, storing the result. */
  readonly wallSeconds: number;
  /** Evaluation.durationSeconds: the worker's own clock, from its backend start to its result (not its start-up). */
  readonly serverSeconds: number;
}

export interface EvaluateBenchFigures {
  /** Images each evaluation measured. */
  readonly images: number;
  /** The evaluation's batch size, which the forward passes used too. */
  readonly batchSize: number;
  /** InferenceModel forward passes on random data in the bench's process. */
  readonly forward: ThroughputRange;
  /** In call order: the first decodes the images, the others read the API's decoded-image cache. */
  readonly evaluations: readonly EvaluationTiming[];
}

const HEADERS = ['', 'wall s', 'images/s', 'x forward', 'server s', 'server images/s', 'beyond forward s'];

/** The table, then a line on the best evaluation that read the cache (the first one's when there is only one). */
export function formatEvaluateReport({ images, batchSize, forward, evaluations }: EvaluateBenchFigures): string {
  if (evaluations.length === 0) throw new RangeError('Expected at least one evaluation, got none.');
  const forwardSeconds = images / forward.median;
  const rows = evaluations.map(({ wallSeconds, serverSeconds }, index) => [
    `evaluateCheckpoint #${index + 1} (${index === 0 ? 'decodes the images' : 'decoded-image cache'})`,
    wallSeconds.toFixed(2),
    (images / wallSeconds).toFixed(1),
    ratio(images / wallSeconds / forward.median),
    serverSeconds.toFixed(2),
    (images / serverSeconds).toFixed(1),
    (wallSeconds - forwardSeconds).toFixed(2),
  ]);
  rows.push([
    `forward passes alone (InferenceModel, batch ${batchSize}, random data, this process)`,
    forwardSeconds.toFixed(2),
    `${forward.median.toFixed(1)} (${forward.min.toFixed(1)}-${forward.max.toFixed(1)})`,
    ratio(1),
    '-',
    '-',
    '-',
  ]);
  const warm = evaluations.length === 1 ? evaluations : evaluations.slice(1);
  const best = warm.reduce((fastest, timing) => (timing.wallSeconds < fastest.wallSeconds ? timing : fastest));
  const bestIndex = evaluations.indexOf(best) + 1;
  const table = formatTable(`${images} images, batch ${batchSize}`, HEADERS, rows);
  return (
    `${table}\n\nFastest ${evaluations.length === 1 ? 'evaluation' : 'evaluation after the first'} (#${bestIndex}): ` +
    `${(images / best.wallSeconds).toFixed(1)} images/s end to end, ${ratio(images / best.wallSeconds / forward.median)}` +
    ` the forward rate (${forward.median.toFixed(1)} images/s, median of ${forward.steps} pass${forward.steps === 1 ? '' : 'es'}); ` +
    `${(best.wallSeconds - forwardSeconds).toFixed(2)} s beyond the forward passes' own time.`
  );
}

function ratio(value: number): string {
  return `${value.toFixed(2)}x`;
}
