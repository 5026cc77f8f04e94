// BATCH_NORM_RUNNING_STATISTICS for wasm: ResNetBatchNormalization's update of its running mean and variance as one
// kernel, a loop over the channels, where the composition runs seven tfjs ops per layer (140 a ResNet18 step, about
// 8 ms at batch 32). Each operation is rounded to float32 as the composition's kernels round it, so both give the same
// bits.
import type * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_RUNNING_STATISTICS, type BatchNormRunningStatisticsAttrs } from '@resnet-lab/resnet';
import { heapFloats, wasmBackendOf } from './wasm-backend.js';

type Inputs = Record<'movingMean' | 'movingVariance' | 'mean' | 'variance', tf.TensorInfo>;

export const wasmBatchNormRunningStatisticsConfig: tf.KernelConfig = {
  kernelName: BATCH_NORM_RUNNING_STATISTICS,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { movingMean, movingVariance, mean, variance } = inputs as Inputs;
    const { momentum, besselCorrection } = attrs as unknown as BatchNormRunningStatisticsAttrs;
    const channels = movingMean.shape[0]!;
    for (const input of [movingMean, movingVariance, mean, variance]) {
      if (input.shape.length !== 1 || input.shape[0] !== channels || input.dtype !== 'float32') {
        throw new Error(
          `Expected ${BATCH_NORM_RUNNING_STATISTICS}'s inputs to be float32 [${channels}], got ${input.dtype} ` +
            `[${input.shape.join(', ')}].`,
        );
      }
    }
    const wasm = wasmBackendOf(backend);
    const newMeanInfo = wasm.makeOutput([channels], 'float32');
    const newVarianceInfo = wasm.makeOutput([channels], 'float32');
    // Views after the allocations, which may grow the heap and detach earlier views.
    const runningMean = heapFloats(wasm, movingMean);
    const runningVariance = heapFloats(wasm, movingVariance);
    const batchMean = heapFloats(wasm, mean);
    const batchVariance = heapFloats(wasm, variance);
    const newMean = heapFloats(wasm, newMeanInfo);
    const newVariance = heapFloats(wasm, newVarianceInfo);
    // The scalars as tfjs makes them: float32 tensors of the JavaScript numbers.
    const rate = Math.fround(1 - momentum);
    const correction = Math.fround(besselCorrection);
    const f = Math.fround;
    for (let c = 0; c < channels; c++) {
      const unbiased = f(batchVariance[c]! * correction);
      newMean[c] = runningMean[c]! - f(f(runningMean[c]! - batchMean[c]!) * rate);
      newVariance[c] = runningVariance[c]! - f(f(runningVariance[c]! - unbiased) * rate);
    }
    return [newMeanInfo, newVarianceInfo];
  },
};
