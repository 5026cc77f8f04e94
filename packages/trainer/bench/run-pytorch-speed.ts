// PyTorch's side of `npm run bench:vs-pytorch`: pytorch/speed.py in its own process, one per batch size and layout.
import { fileURLToPath } from 'node:url';
import { parsePytorchSpeedOutput, type PytorchMemoryFormat, type PytorchSpeedOutput } from './parse-speed-output.js';
import { describeFailure, runProcess } from './run-process.js';

export const SPEED_SCRIPT = fileURLToPath(new URL('../../../pytorch/speed.py', import.meta.url));

export interface PytorchSpeedSettings {
  readonly arch: string;
  readonly width: number;
  readonly batchSize: number;
  readonly steps: number;
  readonly forwardSteps: number;
  readonly memoryFormat: PytorchMemoryFormat;
}

/** The arguments after the interpreter: the seed's ResNet (CIFAR stem, 10 classes, 32x32) unless told otherwise. */
export function pytorchSpeedArguments(settings: PytorchSpeedSettings, threads: number): string[] {
  return [
    SPEED_SCRIPT,
    ...['--arch', settings.arch, '--width', String(settings.width), '--stem', 'cifar'],
    ...['--classes', '10', '--input-size', '32', '--batch-size', String(settings.batchSize)],
    ...['--steps', String(settings.steps), '--forward-steps', String(settings.forwardSteps), '--warmup-steps', '1'],
    ...['--memory-format', settings.memoryFormat, '--threads', String(threads)],
  ];
}

export async function runPytorchSpeed(
  python: string,
  settings: PytorchSpeedSettings,
  threads: number,
): Promise<PytorchSpeedOutput> {
  let lastLine = '';
  const outcome = await runProcess(python, pytorchSpeedArguments(settings, threads), {
    onStdout: (line) => (lastLine = line),
  });
  if (outcome.exitCode !== 0) {
    throw new Error(
      describeFailure(`pytorch/speed.py (batch ${settings.batchSize}, ${settings.memoryFormat})`, outcome),
    );
  }
  return parsePytorchSpeedOutput(lastLine);
}
