// The command line of `npm run bench:evaluate`: how many images the API's evaluateCheckpoint measures, how often, and
// how many forward passes the in-process reference times.
import { parseArgs } from 'node:util';

export interface EvaluateBenchOptions {
  /** Images of the evaluated dataset, spread evenly over the source folder's classes (the first ones win the rest). */
  readonly images: number;
  /** evaluateCheckpoint calls, one after another: the first decodes the JPEGs into DATA_DIR's cache, the rest read it. */
  readonly evaluations: number;
  /** Timed InferenceModel forward passes on random data at the evaluation's batch size, after one warm-up pass. */
  readonly forwardPasses: number;
  /** A folder of class subfolders of images to take them from; undefined for the shared CIFAR-10 JPEGs. */
  readonly data: string | undefined;
}

export const EVALUATE_BENCH_USAGE = `Usage: npm run bench:evaluate -- [options]

Images/s of the API's evaluateCheckpoint (HTTP GraphQL, end to end: worker start, checkpoint and image loading, the
folded forward passes, storing the evaluation) on a ResNet18 (width 1, CIFAR stem, 10 classes) imported as a
safetensors file, next to the forward rate of the same model at the same batch size in this process, and the ratio.

  --images <n>             images evaluated, evenly over the classes (default 10000: 1,000 per CIFAR-10 class)
  --evaluations <n>        evaluateCheckpoint calls in a row; the first decodes the images, the rest read the API's
                           decoded-image cache (default 3)
  --forward-passes <n>     timed forward passes of the reference, after 1 warm-up (default 10)
  --data <dir>             a folder of class subfolders of images (default: the shared CIFAR-10 training JPEGs)
`;

/** A command line the benchmark cannot run; the message names the option, the value and what is allowed. */
export class EvaluateBenchUsageError extends Error {
  readonly code = 'BAD_USAGE';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EvaluateBenchUsageError';
  }
}

/** The options, or 'help'. */
export function parseEvaluateBenchOptions(args: readonly string[]): EvaluateBenchOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        images: { type: 'string', default: '10000' },
        evaluations: { type: 'string', default: '3' },
        'forward-passes': { type: 'string', default: '10' },
        data: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new EvaluateBenchUsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (values.help) return 'help';
  return {
    images: positiveInteger('images', values.images),
    evaluations: positiveInteger('evaluations', values.evaluations),
    forwardPasses: positiveInteger('forward-passes', values['forward-passes']),
    data: values.data,
  };
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 1) {
    throw new EvaluateBenchUsageError(`Expected --${name} to be a positive integer, got '${text}'.`);
  }
  return value;
}
