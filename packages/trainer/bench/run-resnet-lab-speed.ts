// resnet-lab's side of `npm run bench:vs-pytorch`: `resnet-lab bench --json` (training/benchmark-training.ts, the
// measuring code of `npm run bench`) in its own process, at a given thread count.
import { MAX_WASM_THREADS, WASM_THREADS_VARIABLE, type BackendChoice } from '@resnet-lab/trainer';
import { parseResnetLabBenchOutput, type ResnetLabBenchOutput } from './parse-speed-output.js';
import { describeFailure, runProcess } from './run-process.js';
import { RESNET_LAB_BIN } from './run-resnet-lab.js';

export interface ResnetLabSpeedSettings {
  readonly arch: string;
  readonly width: number;
  readonly batchSize: number;
  readonly steps: number;
  readonly forwardSteps: number;
  readonly backend: BackendChoice;
}

/**
 * The environment that gives resnet-lab `threads` threads: wasm's (at most MAX_WASM_THREADS) and those of the
 * OpenMP runtime that oneDNN's kernels run on.
 */
export function resnetLabThreadEnvironment(threads: number): Readonly<Record<string, string>> {
  return { [WASM_THREADS_VARIABLE]: String(Math.min(threads, MAX_WASM_THREADS)), OMP_NUM_THREADS: String(threads) };
}

/** The arguments after `resnet-lab`: the seed's ResNet (CIFAR stem, 10 classes, 32x32) unless told otherwise. */
export function resnetLabBenchArguments(settings: ResnetLabSpeedSettings): string[] {
  return [
    'bench',
    '--json',
    ...['--arch', settings.arch, '--width', String(settings.width), '--stem', 'cifar'],
    ...['--classes', '10', '--input', '32', '--batch-size', String(settings.batchSize)],
    ...['--steps', String(settings.steps), '--forward-steps', String(settings.forwardSteps)],
    ...['--backend', settings.backend],
  ];
}

export async function runResnetLabSpeed(
  settings: ResnetLabSpeedSettings,
  threads: number,
): Promise<ResnetLabBenchOutput> {
  let lastLine = '';
  const outcome = await runProcess(process.execPath, [RESNET_LAB_BIN, ...resnetLabBenchArguments(settings)], {
    onStdout: (line) => (lastLine = line),
    env: { ...process.env, ...resnetLabThreadEnvironment(threads) },
  });
  if (outcome.exitCode !== 0) {
    throw new Error(describeFailure(`resnet-lab bench (batch ${settings.batchSize})`, outcome));
  }
  return parseResnetLabBenchOutput(lastLine);
}
