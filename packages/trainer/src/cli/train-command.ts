// `resnet-lab train`: the seed's training run from the command line, printing its per-batch and per-epoch lines, and
// with --track reporting them to a ResNet Lab API.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RESNET_ARCHS } from '@resnet-lab/resnet';
import { datasetCacheDirectory, loadDataset, userCacheDirectory, type LoadedDataset } from '../data/index.js';
import { readCheckpointMetadata } from '../training/checkpoint.js';
import { BACKEND_CHOICES } from '../backend/index.js';
import {
  NORMALIZATIONS,
  SCHEDULES,
  TRAIN_DEFAULTS,
  resolveTrainConfig,
  type TrainConfig,
  type TrainConfigInput,
} from '../training/train-config.js';
import { datasetOptionsFor, train } from '../training/train.js';
import type { TrainResult, TrainingEvent } from '../training/training-events.js';
import type { CliIo } from './cli-io.js';
import { TrackRunError, trackRun, type TrackRunInput, type TrackedRun } from './track-run.js';
import { TrainingPrinter } from './training-printer.js';
import { UsageError, parseNumberOption, parsePositiveIntegerOption } from './usage-error.js';

export const TRAIN_USAGE = `Usage: resnet-lab train --data <dir|synthetic> [options]

Trains a ResNet with SGD; after every epoch evaluates the test split and writes checkpoints/last and
checkpoints/best under --out.

  --data <location>      'synthetic', a CIFAR-10 binary directory, or an image folder (root/<class>/*.png|jpg)
  --arch <arch>          ${RESNET_ARCHS.join(', ')} (default ${TRAIN_DEFAULTS.arch})
  --stem <stem>          cifar, imagenet (default ${TRAIN_DEFAULTS.stem})
  --width <w>            filter multiplier (default ${TRAIN_DEFAULTS.width})
  --init <scheme>        weight initialization: pytorch-default (nn.Conv2d/nn.Linear's own, as the seed) or
                         torchvision (Kaiming normal, fan-out) (default pytorch-default for the cifar stem,
                         torchvision for imagenet; a resumed run keeps its checkpoint's)
  --epochs <n>           (default ${TRAIN_DEFAULTS.epochs})
  --batch-size <n>       (default ${TRAIN_DEFAULTS.batchSize})
  --lr <rate>            initial learning rate (default ${TRAIN_DEFAULTS.learningRate})
  --momentum <m>         (default ${TRAIN_DEFAULTS.momentum})
  --weight-decay <wd>    (default ${TRAIN_DEFAULTS.weightDecay})
  --nesterov             Nesterov momentum
  --schedule <name>      ${SCHEDULES.join(', ')} (default ${TRAIN_DEFAULTS.schedule}: /10 every --step-size epochs)
  --step-size <n>        epochs between step divisions (default ${TRAIN_DEFAULTS.stepSize})
  --milestones <a,b,..>  epochs of multistep divisions (default ${TRAIN_DEFAULTS.milestones.join(',')})
  --gamma <g>            factor of each division (default ${TRAIN_DEFAULTS.gamma})
  --no-augment           no random crop and flip
  --normalization <n>    ${NORMALIZATIONS.join(', ')} (default ${TRAIN_DEFAULTS.normalization})
  --test-fraction <f>    image folders without a test folder: share held out per class (default ${TRAIN_DEFAULTS.testFraction})
  --limit-per-class <n>  image folders: first n images of each class only (default all)
  --cache-dir <dir>      image folders: where decoded images are cached, a subfolder per dataset (default
                         $XDG_CACHE_HOME/resnet-lab, else ~/.cache/resnet-lab); never the dataset folder
  --seed <n>             (default ${TRAIN_DEFAULTS.seed})
  --backend <name>       ${BACKEND_CHOICES.join(', ')} (default ${TRAIN_DEFAULTS.backend})
  --out <dir>            run directory (default runs/<arch>-<date>-<time>)
  --resume <checkpoint>  continue from a checkpoint directory; its settings apply unless given here
  --log-every <n>        print every n-th batch (default 100, as the seed)
  --json                 print one JSON event per line instead
  --track <api-url>      report the run to a ResNet Lab API's GraphQL endpoint (e.g. http://localhost:4000/graphql)
                         so that it shows live in the dashboard, under a model named after the architecture;
                         cancelling it there stops it after the current batch. Keeps every epoch's checkpoint in
                         checkpoints/epoch-<n>, which the API's checkpoint rows point at. An API that cannot be
                         reached at the start is an error (exit code 1); one that stops answering later is warned
                         about once, and training goes on untracked.
  --track-token <token>  the API's API_TOKEN, when it has one (default $RESNET_LAB_API_TOKEN)
`;

export async function trainCommand(args: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      arch: { type: 'string' },
      stem: { type: 'string' },
      width: { type: 'string' },
      init: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      momentum: { type: 'string' },
      'weight-decay': { type: 'string' },
      nesterov: { type: 'boolean' },
      schedule: { type: 'string' },
      'step-size': { type: 'string' },
      milestones: { type: 'string' },
      gamma: { type: 'string' },
      'no-augment': { type: 'boolean' },
      normalization: { type: 'string' },
      'test-fraction': { type: 'string' },
      'limit-per-class': { type: 'string' },
      'cache-dir': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'string' },
      'log-every': { type: 'string' },
      json: { type: 'boolean', default: false },
      track: { type: 'string' },
      'track-token': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.stdout(TRAIN_USAGE);
    return 0;
  }
  const given: Partial<TrainConfigInput> = dropUndefined({
    data: values.data,
    arch: values.arch,
    stem: values.stem,
    width: parseNumberOption('width', values.width),
    init: values.init,
    epochs: parseNumberOption('epochs', values.epochs),
    batchSize: parseNumberOption('batch-size', values['batch-size']),
    learningRate: parseNumberOption('lr', values.lr),
    momentum: parseNumberOption('momentum', values.momentum),
    weightDecay: parseNumberOption('weight-decay', values['weight-decay']),
    nesterov: values.nesterov,
    schedule: values.schedule,
    stepSize: parseNumberOption('step-size', values['step-size']),
    milestones: values.milestones?.split(',').map((milestone) => parseNumberOption('milestones', milestone)!),
    gamma: parseNumberOption('gamma', values.gamma),
    augment: values['no-augment'] ? false : undefined,
    normalization: values.normalization,
    testFraction: parseNumberOption('test-fraction', values['test-fraction']),
    limitPerClass: parseNumberOption('limit-per-class', values['limit-per-class']),
    seed: parseNumberOption('seed', values.seed),
    backend: values.backend,
  });
  let config: TrainConfigInput;
  if (values.resume) {
    // The checkpoint's own settings, overridden by whatever this command line gives (e.g. more --epochs).
    const metadata = await readCheckpointMetadata(values.resume);
    // Imported weights record no training settings: their model's, and the rest from this command line.
    const { arch, stem, width } = metadata.model;
    const resumed: Partial<TrainConfigInput> = { ...(metadata.config ?? { arch, stem, width }), ...given };
    if (!resumed.data) {
      throw new UsageError(
        `Missing --data: ${values.resume} holds imported weights, which record no training data; give the data to train on.`,
      );
    }
    config = resumed as TrainConfigInput;
  } else {
    if (!given.data)
      throw new UsageError("Missing --data: give 'synthetic', a CIFAR-10 binary directory or an image folder.");
    config = given as TrainConfigInput;
  }
  const cacheDir = values['cache-dir'] ?? userCacheDirectory();
  const logEvery = parsePositiveIntegerOption('log-every', values['log-every'] ?? '100');
  const outDir = values.out ?? defaultRunDirectory(config.arch ?? TRAIN_DEFAULTS.arch);
  const printer = new TrainingPrinter(io, { logEvery, progressBar: !values.json && process.stderr.isTTY });
  const print = values.json
    ? (event: TrainingEvent) => io.stdout(`${JSON.stringify(event)}\n`)
    : (event: TrainingEvent) => printer.print(event);

  const result =
    values.track === undefined
      ? await train(config, { outDir, resumeFrom: values.resume, signal, onEvent: print, cacheDir })
      : await trainTracked(config, {
          apiUrl: values.track,
          cacheDir,
          token: values['track-token'] ?? process.env['RESNET_LAB_API_TOKEN'],
          outDir,
          resumeFrom: values.resume,
          signal,
          print,
          io,
        });
  // The API could not be reached (or refused the run): said on stderr, nothing trained.
  if (result === null) return 1;
  if (values.json) io.stdout(`${JSON.stringify({ kind: 'result', ...result })}\n`);
  else printer.printResult(result, outDir);
  return result.status === 'completed' ? 0 : 130;
}

interface TrackedTrainingOptions {
  readonly apiUrl: string;
  readonly cacheDir: string;
  readonly token: string | undefined;
  readonly outDir: string;
  readonly resumeFrom: string | undefined;
  readonly signal: AbortSignal | undefined;
  readonly print: (event: TrainingEvent) => void;
  readonly io: CliIo;
}

/**
 * Trains as `train` does while reporting every event to the API, which may cancel the run; ends the run there with
 * the outcome. Null when the API could not register the run, before anything trained.
 */
async function trainTracked(config: TrainConfigInput, options: TrackedTrainingOptions): Promise<TrainResult | null> {
  const { io } = options;
  const resolved = resolveTrainConfig(config);
  // Loaded first, so that the API learns the class names and image size before the run starts.
  const dataset = await loadDataset(resolved.data, {
    ...datasetOptionsFor(resolved),
    cacheDirectory: datasetCacheDirectory(options.cacheDir, resolved.data),
  });
  // Absolute, so that the checkpoint paths the API records mean something on this machine.
  const outDir = path.resolve(options.outDir);
  const cancel = new AbortController();
  let tracker: TrackedRun;
  try {
    tracker = await trackRun(options.apiUrl, options.token, trackRunInput(resolved, dataset, outDir), {
      warn: (message) => io.stderr(`resnet-lab train --track: ${message}\n`),
      onCancelRequested: () => {
        io.stderr('\nCancelled through the API; stopping after the current batch...\n');
        cancel.abort(new Error('Cancelled through the API'));
      },
    });
  } catch (error) {
    if (!(error instanceof TrackRunError)) throw error;
    io.stderr(`resnet-lab train: --track: ${error.message}\n`);
    return null;
  }
  let result: TrainResult;
  try {
    result = await train(resolved, {
      outDir,
      resumeFrom: options.resumeFrom,
      signal: options.signal ? AbortSignal.any([options.signal, cancel.signal]) : cancel.signal,
      dataset,
      keepEpochCheckpoints: true,
      onEvent: (event) => {
        options.print(event);
        tracker.report(event);
      },
    });
  } catch (error) {
    await tracker.finish('FAILED', error instanceof Error ? error.message : String(error));
    throw error;
  }
  await tracker.finish(result.status === 'completed' ? 'COMPLETED' : 'CANCELLED');
  return result;
}

/** The run as the API records it: the model and dataset it trains, and where its checkpoints are. */
function trackRunInput(config: TrainConfig, dataset: LoadedDataset, outputDir: string): TrackRunInput {
  const { classNames } = dataset.train;
  const inputSize = dataset.train.height;
  const { arch, stem, width } = config;
  const location = dataset.format === 'synthetic' ? dataset.location : path.resolve(dataset.location);
  return {
    // One model per architecture, e.g. 'resnet18-cifar-w0.5-10c-32px': runs of the same network group together.
    modelName: `${arch}-${stem}-w${width}-${classNames.length}c-${inputSize}px`,
    arch,
    stem,
    width,
    classes: classNames.length,
    inputSize,
    datasetName: location,
    datasetFormat: DATASET_FORMATS[dataset.format],
    classNames,
    config: JSON.stringify({ ...config, data: location }),
    outputDir,
  };
}

const DATASET_FORMATS = {
  synthetic: 'SYNTHETIC',
  'cifar10-binary': 'CIFAR10_BINARY',
  'image-folder': 'IMAGE_FOLDER',
} as const satisfies Record<LoadedDataset['format'], TrackRunInput['datasetFormat']>;

function defaultRunDirectory(arch: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `runs/${arch}-${stamp}`;
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
