// One epoch of the seed's recipe by `resnet-lab train`, read from its --json events.
import { fileURLToPath } from 'node:url';
import type { BatchEvent, EpochEvent, StartEvent } from '@resnet-lab/trainer';
import { describeFailure, runProcess } from './run-process.js';
import type { YardstickResult, YardstickSettings } from './yardstick-result.js';

export const RESNET_LAB_BIN = fileURLToPath(new URL('../bin/resnet-lab.js', import.meta.url));
/** A progress line every this many batches, as the seed prints. */
const PROGRESS_EVERY = 100;

/**
 * The command line's arguments after `resnet-lab`, but for --out and --json: the seed's hyperparameters spelled out
 * (they are also the defaults), so that a change of default cannot move the yardstick unnoticed. The initialization
 * is left to the default (pytorch-default for the CIFAR stem), which is what is being measured.
 */
export function resnetLabTrainArguments(settings: YardstickSettings, seed: number): string[] {
  return [
    'train',
    '--data',
    settings.data,
    '--arch',
    'resnet18',
    '--width',
    String(settings.width),
    '--epochs',
    '1',
    '--batch-size',
    '128',
    '--lr',
    '0.1',
    '--momentum',
    '0.9',
    '--weight-decay',
    '5e-4',
    '--test-fraction',
    String(settings.testFraction),
    ...(settings.limitPerClass === null ? [] : ['--limit-per-class', String(settings.limitPerClass)]),
    '--seed',
    String(seed),
  ];
}

export async function runResnetLab(
  settings: YardstickSettings,
  seed: number,
  outDir: string,
  onProgress: (line: string) => void,
): Promise<YardstickResult> {
  let start: StartEvent | undefined;
  let epoch: EpochEvent | undefined;
  const outcome = await runProcess(
    process.execPath,
    [RESNET_LAB_BIN, ...resnetLabTrainArguments(settings, seed), '--out', outDir, '--json'],
    {
      onStdout: (line) => {
        const event = parseEvent(line);
        if (event?.kind === 'start') start = event as StartEvent;
        if (event?.kind === 'epoch') epoch = event as EpochEvent;
        if (event?.kind === 'batch') {
          const { batch, batches, loss, accuracy } = event as BatchEvent;
          if (batch % PROGRESS_EVERY === 1 || batch === batches) {
            onProgress(`batch ${batch}/${batches}: loss ${loss.toFixed(4)}, accuracy ${accuracy.toFixed(4)}`);
          }
        }
      },
    },
  );
  if (outcome.exitCode !== 0) throw new Error(describeFailure(`resnet-lab train (seed ${seed})`, outcome));
  if (!start || !epoch || epoch.testAccuracy === null || epoch.testLoss === null) {
    throw new Error(
      `resnet-lab train (seed ${seed}) exited 0 without a start event and an epoch event with test figures.`,
    );
  }
  return {
    tool: 'resnet-lab',
    seed,
    trainAccuracy: epoch.trainAccuracy,
    trainLoss: epoch.trainLoss,
    testAccuracy: epoch.testAccuracy,
    testLoss: epoch.testLoss,
    trainImages: start.trainImages,
    testImages: start.testImages,
    seconds: outcome.seconds,
    detail: `${start.backend.name}: ${start.backend.device}; init ${start.init ?? 'not reported'}`,
  };
}

/** A --json line as an event with a `kind`, or undefined for any other line. */
function parseEvent(line: string): { readonly kind: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && 'kind' in value ? value : undefined;
  } catch {
    return undefined;
  }
}
