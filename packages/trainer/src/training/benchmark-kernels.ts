// Times each heavy kernel of a ResNet training step on the active backend, one row per distinct shape: the forward
// convolution and both of its gradients for every convolution shape of the model, and the classifier's matrix
// products. Regressions in one kernel show here long before they move the end-to-end figure.
import * as tf from '@tensorflow/tfjs';
import { allConvs, planResNet, resolveResNetConfig, type ConvPlan, type ResNetConfigInput } from '@resnet-lab/resnet';

export type KernelName = 'Conv2D' | 'Conv2DBackpropInput' | 'Conv2DBackpropFilter' | 'MatMul';

export interface KernelTiming {
  readonly kernel: KernelName;
  /** e.g. `32x32x64 -> 16x16x128, 3x3 stride 2` or `[128, 512] x [512, 10]`. */
  readonly shape: string;
  /** How many layers of one forward pass run this kernel at this shape. */
  readonly layers: number;
  readonly milliseconds: number;
  readonly gflops: number;
}

export interface KernelBenchmarkOptions {
  readonly model: ResNetConfigInput;
  readonly batchSize: number;
  /** Timed runs per kernel after one warm-up; the median is reported. */
  readonly repeats: number;
}

export function benchmarkKernels(options: KernelBenchmarkOptions): KernelTiming[] {
  const config = resolveResNetConfig(options.model);
  const plan = planResNet(config);
  const { batchSize, repeats } = options;
  const byShape = new Map<string, { conv: ConvPlan; layers: number }>();
  for (const conv of allConvs(plan)) {
    const key = describeConv(conv);
    const entry = byShape.get(key);
    if (entry) entry.layers += 1;
    else byShape.set(key, { conv, layers: 1 });
  }
  const timings: KernelTiming[] = [];
  for (const [shape, { conv, layers }] of byShape) {
    const flop = 2 * batchSize * conv.outputSize ** 2 * conv.outChannels * conv.kernelSize ** 2 * conv.inChannels;
    // As the model runs it: 'same' for stride-1 convolutions that pad symmetrically, else explicit zero padding
    // (outside the timing) and 'valid'.
    const same = conv.stride === 1 && conv.padding * 2 === conv.kernelSize - 1;
    const inputSize = same ? conv.inputSize : conv.inputSize + 2 * conv.padding;
    const x = tf.randomNormal<tf.Rank.R4>([batchSize, inputSize, inputSize, conv.inChannels], 0, 1, 'float32', 1);
    const filter = tf.randomNormal<tf.Rank.R4>(
      [conv.kernelSize, conv.kernelSize, conv.inChannels, conv.outChannels],
      0,
      0.05,
      'float32',
      2,
    );
    const dy = tf.randomNormal<tf.Rank.R4>(
      [batchSize, conv.outputSize, conv.outputSize, conv.outChannels],
      0,
      1,
      'float32',
      3,
    );
    const attrs = { strides: [conv.stride, conv.stride], pad: same ? 'same' : 'valid', dataFormat: 'NHWC' };
    const run = (kernel: KernelName, inputs: tf.NamedTensorMap, extra: Record<string, unknown> = {}) => {
      const milliseconds = medianMilliseconds(repeats, () =>
        tf.engine().runKernel<tf.Tensor>(kernel, inputs, { ...attrs, ...extra }),
      );
      timings.push({ kernel, shape, layers, milliseconds, gflops: flop / milliseconds / 1e6 });
    };
    run('Conv2D', { x, filter }, { dilations: [1, 1] });
    run('Conv2DBackpropInput', { dy, filter }, { inputShape: x.shape });
    run('Conv2DBackpropFilter', { x, dy }, { filterShape: filter.shape });
    tf.dispose([x, filter, dy]);
  }
  const features = plan.stages.at(-1)!.blocks.at(-1)!.outChannels;
  const classes = config.classes;
  const activations = tf.randomNormal<tf.Rank.R2>([batchSize, features], 0, 1, 'float32', 4);
  const weights = tf.randomNormal<tf.Rank.R2>([features, classes], 0, 0.05, 'float32', 5);
  const gradient = tf.randomNormal<tf.Rank.R2>([batchSize, classes], 0, 1, 'float32', 6);
  const flop = 2 * batchSize * features * classes;
  const matMul = (shape: string, a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean) => {
    const milliseconds = medianMilliseconds(repeats, () => tf.matMul(a, b, transposeA, transposeB));
    timings.push({ kernel: 'MatMul', shape, layers: 1, milliseconds, gflops: flop / milliseconds / 1e6 });
  };
  matMul(`[${batchSize}, ${features}] x [${features}, ${classes}]`, activations, weights, false, false);
  matMul(`[${batchSize}, ${classes}] x [${features}, ${classes}]^T`, gradient, weights, false, true);
  matMul(`[${batchSize}, ${features}]^T x [${batchSize}, ${classes}]`, activations, gradient, true, false);
  tf.dispose([activations, weights, gradient]);
  return timings;
}

function describeConv(conv: ConvPlan): string {
  const { inputSize, outputSize, inChannels, outChannels, kernelSize, stride } = conv;
  return (
    `${inputSize}x${inputSize}x${inChannels} -> ${outputSize}x${outputSize}x${outChannels}, ` +
    `${kernelSize}x${kernelSize} stride ${stride}`
  );
}

/** Median wall time of `repeats` runs after a warm-up, each read back so that all of its work is counted. */
function medianMilliseconds(repeats: number, run: () => tf.Tensor): number {
  run().dispose();
  const milliseconds: number[] = [];
  for (let index = 0; index < repeats; index++) {
    const start = performance.now();
    const result = run();
    result.dataSync();
    milliseconds.push(performance.now() - start);
    result.dispose();
  }
  return milliseconds.sort((a, b) => a - b)[Math.floor(milliseconds.length / 2)]!;
}
