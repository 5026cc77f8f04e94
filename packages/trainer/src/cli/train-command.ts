// `resnet-lab train`: the seed's training run from the command line, printing its per-batch and per-epoch lines.
import { parseArgs } from 'node:util';
import { RESNET_ARCHS } from '@resnet-lab/resnet';
import { readCheckpointMetadata } from '../training/checkpoint.js';
import { BACKEND_CHOICES } from '../backend/index.js';
import { NORMALIZATIONS, SCHEDULES, TRAIN_DEFAULTS, type TrainConfigInput } from '../training/train-config.js';
import { train } from '../training/train.js';
import type { TrainingEvent } from '../training/training-events.js';
import type { CliIo } from './cli-io.js';
import { TrainingPrinter } from './training-printer.js';
import { UsageError, parseNumberOption, parsePositiveIntegerOption } from './usage-error.js';

export const TRAIN_USAGE = `Usage: resnet-lab train --data <dir|synthetic> [options]

Trains a ResNet with SGD; after every epoch evaluates the test split and writes checkpoints/last and
checkpoints/best under --out.

  --data <location>      'synthetic', a CIFAR-10 binary directory, or an image folder (root/<class>/*.png|jpg)
  --arch <arch>          ${RESNET_ARCHS.join(', ')} (default ${TRAIN_DEFAULTS.arch})
  --stem <stem>          cifar, imagenet (default ${TRAIN_DEFAULTS.stem})
  --width <w>            filter multiplier (default ${TRAIN_DEFAULTS.width})
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
  --seed <n>             (default ${TRAIN_DEFAULTS.seed})
  --backend <name>       ${BACKEND_CHOICES.join(', ')} (default ${TRAIN_DEFAULTS.backend})
  --out <dir>            run directory (default runs/<arch>-<date>-<time>)
  --resume <checkpoint>  continue from a checkpoint directory; its settings apply unless given here
  --log-every <n>        print every n-th batch (default 100, as the seed)
  --json                 print one JSON event per line instead
`;

export async function trainCommand(args: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      arch: { type: 'string' },
      stem: { type: 'string' },
      width: { type: 'string' },
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
      seed: { type: 'string' },
      backend: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'string' },
      'log-every': { type: 'string' },
      json: { type: 'boolean', default: false },
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
    config = { ...metadata.config, ...given };
  } else {
    if (!given.data)
      throw new UsageError("Missing --data: give 'synthetic', a CIFAR-10 binary directory or an image folder.");
    config = given as TrainConfigInput;
  }
  const logEvery = parsePositiveIntegerOption('log-every', values['log-every'] ?? '100');
  const outDir = values.out ?? defaultRunDirectory(config.arch ?? TRAIN_DEFAULTS.arch);
  const printer = new TrainingPrinter(io, { logEvery, progressBar: !values.json && process.stderr.isTTY });
  const onEvent = values.json
    ? (event: TrainingEvent) => io.stdout(`${JSON.stringify(event)}\n`)
    : (event: TrainingEvent) => printer.print(event);

  const result = await train(config, { outDir, resumeFrom: values.resume, signal, onEvent });
  if (values.json) io.stdout(`${JSON.stringify({ kind: 'result', ...result })}\n`);
  else printer.printResult(result, outDir);
  return result.status === 'completed' ? 0 : 130;
}

function defaultRunDirectory(arch: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `runs/${arch}-${stamp}`;
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
