// `resnet-lab bench`: training and forward-only throughput (images/s, GFLOP/s) of a ResNet on a backend.
import { parseArgs } from 'node:util';
import { RESNET_ARCHS } from '@resnet-lab/resnet';
import { BACKEND_CHOICES, useBackend } from '../backend/index.js';
import { benchmarkKernels, type KernelTiming } from '../training/benchmark-kernels.js';
import { benchmarkTraining } from '../training/benchmark-training.js';
import { INFERENCE_PATHS, type InferencePath } from '../training/inference-model.js';

import type { CliIo } from './cli-io.js';
import { parseBackend } from './eval-command.js';
import { UsageError, parseNumberOption, parsePositiveIntegerOption } from './usage-error.js';

export const BENCH_USAGE = `Usage: resnet-lab bench [--arch resnet18] [--stem cifar] [--width 1] [--batch-size 128] [--steps 3]
                        [--forward-steps 3] [--inference folded|layers] [--backend auto] [--json]
       resnet-lab bench --kernels [--arch resnet18] [--width 1] [--batch-size 128] [--repeats 3] [--json]

Times training steps (forward, backward, SGD update) and forward passes on random data. With --kernels, times
each convolution kernel (forward, input gradient, filter gradient) at every distinct shape of the model, and the
classifier's matrix products, with GFLOP/s.

  --arch       ${RESNET_ARCHS.join(', ')} (default resnet18)
  --inference  what the forward passes run: folded, batch norm folded into fused convolutions, as eval and predict
               run; layers, the layers model in inference mode (default folded)
  --backend    ${BACKEND_CHOICES.join(', ')} (default auto)
`;

export async function benchCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      arch: { type: 'string', default: 'resnet18' },
      stem: { type: 'string', default: 'cifar' },
      width: { type: 'string', default: '1' },
      input: { type: 'string' },
      classes: { type: 'string' },
      'batch-size': { type: 'string', default: '128' },
      steps: { type: 'string', default: '3' },
      'forward-steps': { type: 'string', default: '3' },
      inference: { type: 'string', default: 'folded' },
      backend: { type: 'string', default: 'auto' },
      kernels: { type: 'boolean', default: false },
      repeats: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout(BENCH_USAGE);
    return 0;
  }
  const batchSize = parsePositiveIntegerOption('batch-size', values['batch-size']);
  const steps = parsePositiveIntegerOption('steps', values.steps);
  const forwardSteps = parsePositiveIntegerOption('forward-steps', values['forward-steps']);
  const inference = values.inference as InferencePath;
  if (!INFERENCE_PATHS.includes(inference)) {
    throw new UsageError(`Expected --inference to be one of ${INFERENCE_PATHS.join(', ')}, got '${values.inference}'.`);
  }
  const backend = await useBackend(parseBackend(values.backend));
  if (!values.json) io.stderr(`Benchmarking on ${backend.name} (${backend.device})...\n`);
  const model = {
    arch: values.arch,
    stem: values.stem,
    width: parseNumberOption('width', values.width),
    inputSize: parseNumberOption('input', values.input),
    classes: parseNumberOption('classes', values.classes),
  };
  if (values.kernels) {
    const timings = benchmarkKernels({
      model,
      batchSize,
      repeats: parsePositiveIntegerOption('repeats', values.repeats),
    });
    io.stdout(
      values.json ? `${JSON.stringify({ backend, batchSize, timings })}\n` : formatKernelTimings(timings, batchSize),
    );
    return 0;
  }
  const result = await benchmarkTraining(
    {
      model,
      batchSize,
      steps,
      forwardSteps,
      inference,
    },
    backend,
  );
  if (values.json) {
    io.stdout(`${JSON.stringify({ backend, ...result })}\n`);
  } else {
    io.stdout(
      `${result.arch} width ${result.width}, ${result.inputSize}x${result.inputSize}, batch ${result.batchSize}, ` +
        `${backend.name} (${backend.device})\n` +
        `Training: ${result.trainImagesPerSecond.toFixed(2)} images/s, ${result.trainGflops.toFixed(1)} GFLOP/s ` +
        `(steps: ${result.stepSeconds.map((seconds) => `${seconds.toFixed(2)} s`).join(', ')})\n` +
        `Forward:  ${result.forwardImagesPerSecond.toFixed(2)} images/s, ${result.forwardGflops.toFixed(1)} GFLOP/s ` +
        `(${result.inference === 'folded' ? 'batch norm folded' : 'layers model'})\n`,
    );
  }
  return 0;
}

/** One line per kernel and shape, then where one training step's convolution time goes. */
export function formatKernelTimings(timings: readonly KernelTiming[], batchSize: number): string {
  const shapeWidth = Math.max(...timings.map((timing) => timing.shape.length));
  const lines = [
    `Kernels at batch ${batchSize} (median of the timed runs):`,
    `${'kernel'.padEnd(21)}  ${'shape'.padEnd(shapeWidth)}  layers  ${'ms'.padStart(9)}  ${'GFLOP/s'.padStart(8)}`,
    ...timings.map(
      (timing) =>
        `${timing.kernel.padEnd(21)}  ${timing.shape.padEnd(shapeWidth)}  ${String(timing.layers).padStart(6)}  ` +
        `${timing.milliseconds.toFixed(1).padStart(9)}  ${timing.gflops.toFixed(1).padStart(8)}`,
    ),
  ];
  const total = (kernel: KernelTiming['kernel']) =>
    timings
      .filter((timing) => timing.kernel === kernel)
      .reduce((sum, timing) => sum + timing.layers * timing.milliseconds, 0);
  const forward = total('Conv2D');
  const input = total('Conv2DBackpropInput');
  const filter = total('Conv2DBackpropFilter');
  lines.push(
    '',
    `One training step's convolutions: ${((forward + input + filter) / 1000).toFixed(2)} s ` +
      `(forward ${(forward / 1000).toFixed(2)} s, input gradients ${(input / 1000).toFixed(2)} s, ` +
      `filter gradients ${(filter / 1000).toFixed(2)} s)`,
  );
  return `${lines.join('\n')}\n`;
}
