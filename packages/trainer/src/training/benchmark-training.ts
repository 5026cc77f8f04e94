// Measures training and forward-only throughput of a ResNet on the active backend, on random data.
import * as tf from '@tensorflow/tfjs';
import { buildResNet, resolveResNetConfig, summarizeResNet, type ResNetConfigInput } from '@resnet-lab/resnet';
import { seededRandom } from '../data/index.js';
import { INFERENCE_PATHS, InferenceModel, inferLogits, type InferencePath } from './inference-model.js';
import { SgdOptimizer } from './sgd.js';
import { OutOfMemoryError, explainStepFailure } from './out-of-memory-error.js';
import { namedParameters, trainStep } from './train-step.js';
import type { BackendReport } from './training-events.js';

export interface BenchmarkOptions {
  readonly model: ResNetConfigInput;
  readonly batchSize: number;
  /** Timed training steps after one untimed warm-up step. */
  readonly steps: number;
  /** Timed forward passes (inference mode) after one warm-up. */
  readonly forwardSteps: number;
  /**
   * What the forward passes run: 'folded', the InferenceModel that eval and predict run (batch norm folded, fused
   * convolutions), or 'layers', the layers model in inference mode. Default 'folded'.
   */
  readonly inference?: InferencePath | undefined;
}

export interface BenchmarkResult {
  readonly arch: string;
  readonly width: number;
  readonly inputSize: number;
  readonly batchSize: number;
  /** Forward multiply-accumulates per image, from the model summary. */
  readonly macsPerImage: number;
  readonly trainImagesPerSecond: number;
  /**
   * Achieved training GFLOP/s, counting a training step as three forward passes (forward, gradient with respect
   * to activations, gradient with respect to weights) at 2 FLOPs per multiply-accumulate.
   */
  readonly trainGflops: number;
  /** What the forward passes ran, as BenchmarkOptions.inference. */
  readonly inference: InferencePath;
  readonly forwardImagesPerSecond: number;
  readonly forwardGflops: number;
  /** Seconds of each timed training step. */
  readonly stepSeconds: readonly number[];
  /** Seconds of each timed forward pass, reading the logits back included. */
  readonly forwardSeconds: readonly number[];
  /** Bytes held by tensors after the run (a leak shows as growth between runs). */
  readonly tensorBytes: number;
}

export async function benchmarkTraining(options: BenchmarkOptions, backend: BackendReport): Promise<BenchmarkResult> {
  const config = resolveResNetConfig(options.model);
  const { macs } = summarizeResNet(config);
  const { batchSize, steps, forwardSteps, inference = 'folded' } = options;
  if (!INFERENCE_PATHS.includes(inference)) {
    throw new RangeError(`Expected inference to be one of ${INFERENCE_PATHS.join(', ')}, got '${String(inference)}'.`);
  }
  const model = buildResNet(config, { seed: 0 });
  const parameters = namedParameters(model);
  const optimizer = new SgdOptimizer({ momentum: 0.9, weightDecay: 5e-4, nesterov: false });
  const random = seededRandom(0);
  const pixels = Float32Array.from({ length: batchSize * config.inputSize ** 2 * 3 }, () => random() * 2 - 1);
  const labels = Int32Array.from({ length: batchSize }, () => Math.floor(random() * config.classes));
  const batch = { pixels, labels, size: config.inputSize, classes: config.classes, learningRate: 0.01 };
  let result: BenchmarkResult;
  try {
    result = await measure();
  } catch (error) {
    const explained = explainStepFailure(error, backend, batchSize);
    // After an out-of-memory abort the wasm module is dead: disposing would fail and hide the explanation.
    if (!(explained instanceof OutOfMemoryError)) disposeAll();
    throw explained;
  }
  disposeAll();
  return result;

  function disposeAll(): void {
    optimizer.dispose();
    model.dispose();
  }

  async function measure(): Promise<BenchmarkResult> {
    await trainStep(model, parameters, optimizer, batch);
    const stepSeconds: number[] = [];
    for (let step = 0; step < steps; step++) {
      const start = performance.now();
      await trainStep(model, parameters, optimizer, batch);
      stepSeconds.push((performance.now() - start) / 1000);
    }
    const trainImagesPerSecond = (batchSize * steps) / stepSeconds.reduce((total, seconds) => total + seconds, 0);

    const images = tf.tensor4d(pixels, [batchSize, config.inputSize, config.inputSize, 3]);
    // Folded after the training steps, from the batch norm statistics they left.
    const runner = inference === 'folded' ? InferenceModel.fromResNet(model, config) : model;
    const forward = async () => {
      const logits = inferLogits(runner, images);
      await logits.data();
      logits.dispose();
    };
    await forward();
    const forwardSeconds: number[] = [];
    for (let step = 0; step < forwardSteps; step++) {
      const start = performance.now();
      await forward();
      forwardSeconds.push((performance.now() - start) / 1000);
    }
    const forwardImagesPerSecond =
      (batchSize * forwardSteps) / forwardSeconds.reduce((total, seconds) => total + seconds, 0);
    images.dispose();
    if (runner instanceof InferenceModel) runner.dispose();

    return {
      arch: config.arch,
      width: config.width,
      inputSize: config.inputSize,
      batchSize,
      macsPerImage: macs,
      trainImagesPerSecond,
      trainGflops: (trainImagesPerSecond * 3 * 2 * macs) / 1e9,
      inference,
      forwardImagesPerSecond,
      forwardGflops: (forwardImagesPerSecond * 2 * macs) / 1e9,
      stepSeconds,
      forwardSeconds,
      tensorBytes: tf.memory().numBytes,
    };
  }
}
