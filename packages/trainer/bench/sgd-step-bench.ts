// `tsx packages/trainer/bench/sgd-step-bench.ts [--arch resnet18] [--steps 30]`: milliseconds of SgdOptimizer.step
// alone (momentum 0.9, weight decay 5e-4) over a ResNet's real parameter shapes, with random gradients, on the
// backend `auto` picks: by the SGD_STEP kernel where the backend has it, then by tfjs ops (the kernel unregistered),
// and the tensors and bytes that the steps leave behind (0 when nothing leaks).
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { buildResNet, resolveResNetConfig } from '@resnet-lab/resnet';
import {
  SGD_STEP,
  SgdOptimizer,
  hasSgdStepKernel,
  namedParameters,
  seededRandom,
  useBackend,
} from '@resnet-lab/trainer';

const { values } = parseArgs({
  options: { arch: { type: 'string', default: 'resnet18' }, steps: { type: 'string', default: '30' } },
});
const steps = Number(values.steps);
const backend = await useBackend('auto');
const config = resolveResNetConfig({ arch: values.arch, classes: 10, inputSize: 32 });
const model = buildResNet(config, { seed: 0 });
const parameters = namedParameters(model);
const random = seededRandom(0);
const gradients: tf.NamedTensorMap = Object.fromEntries(
  parameters.map(({ variable }) => [
    variable.name,
    tf.tensor(
      Float32Array.from({ length: variable.size }, () => random() * 2e-3 - 1e-3),
      variable.shape,
    ),
  ]),
);
const elements = parameters.reduce((total, { variable }) => total + variable.size, 0);
console.log(`${values.arch}, ${parameters.length} parameters, ${elements} values, ${backend.device}:`);

function measure(path: string): void {
  const optimizer = new SgdOptimizer({ momentum: 0.9, weightDecay: 5e-4, nesterov: false });
  // Two warm-up steps: the first creates the momentum buffers, the second is the steady state's first.
  for (let step = 0; step < 2; step++) optimizer.step(parameters, gradients, 0.01);
  const before = tf.memory();
  const milliseconds: number[] = [];
  for (let step = 0; step < steps; step++) {
    const start = performance.now();
    optimizer.step(parameters, gradients, 0.01);
    // The wasm backend computes synchronously; reading one value makes other backends finish too.
    parameters[0]!.variable.dataSync();
    milliseconds.push(performance.now() - start);
  }
  const after = tf.memory();
  optimizer.dispose();
  milliseconds.sort((a, b) => a - b);
  const median = milliseconds[Math.floor(milliseconds.length / 2)]!;
  console.log(
    `  ${path}: SGD step median ${median.toFixed(2)} ms, min ${milliseconds[0]!.toFixed(2)}, max ` +
      `${milliseconds.at(-1)!.toFixed(2)} (${steps} steps); growth over the steps: ` +
      `${after.numTensors - before.numTensors} tensors, ${after.numBytes - before.numBytes} bytes`,
  );
}

if (hasSgdStepKernel(tf.getBackend())) {
  measure(`${SGD_STEP} kernel`);
  tf.unregisterKernel(SGD_STEP, tf.getBackend());
}
measure('tfjs ops');
tf.dispose(Object.values(gradients));
model.dispose();
