// Gives the wasm backend the kernels that training a tf.layers ResNet needs, where tfjs-backend-wasm 4.22 lacks them
// or gets them wrong.
//
// Found by computing tf.variableGrads of ResNet18 (CIFAR stem) and ResNet50 (ImageNet stem, with its max-pool) on
// wasm and comparing every kernel with the cpu backend: Conv2DBackpropFilter is missing, MaxPoolGrad is wrong for
// windows without a positive value and for ties (see wasm-max-pool-grad.ts). Conv2DBackpropInput and the batch-norm,
// ReLU, pooling and loss gradients agree. Identity is replaced for memory, not correctness (see wasm-identity.ts).
import * as tf from '@tensorflow/tfjs';
import { wasmBatchNormRunningStatisticsConfig } from './wasm-batch-norm-running-statistics.js';
import { wasmConv2DBackpropFilterConfig } from './wasm-conv2d-backprop-filter.js';
import { wasmConv2DBackpropInputConfig } from './wasm-conv2d-backprop-input.js';
import { wasmCastConfig, wasmIdentityConfig } from './wasm-identity.js';
import { wasmMaxPoolGradConfig } from './wasm-max-pool-grad.js';
import { wasmSliceConfig } from './wasm-slice.js';

/**
 * Kernels wasm does not have, a wasm release that ships its own keeps it; and one of the project's own ops, whose
 * layer composes tfjs ops where a backend lacks it (BATCH_NORM_RUNNING_STATISTICS).
 */
const MISSING_KERNELS: readonly tf.KernelConfig[] = [
  wasmConv2DBackpropFilterConfig,
  wasmBatchNormRunningStatisticsConfig,
];
/** Kernels wasm has but computes wrongly (MaxPoolGrad), wastefully (Identity copies) or slowly (Conv2DBackpropInput, a
 * plain loop; Slice, see wasm-slice.ts) or copies for nothing (Identity, and Cast to the same type); these replace its
 * own. */
const REPLACED_KERNELS: readonly tf.KernelConfig[] = [
  wasmMaxPoolGradConfig,
  wasmIdentityConfig,
  wasmConv2DBackpropInputConfig,
  wasmSliceConfig(wasmOwnKernel(tf.Slice)),
  wasmCastConfig(wasmOwnKernel(tf.Cast)),
];

/** wasm's own kernels that a replacement here still calls for what it leaves to them, by name. */
const wasmOwnKernels = new Map<string, tf.KernelFunc>();

function wasmOwnKernel(kernelName: string): tf.KernelFunc {
  return (args) => {
    const own = wasmOwnKernels.get(kernelName);
    if (own === undefined) throw new Error(`Expected wasm's own ${kernelName} kernel to be registered first.`);
    return own(args);
  };
}

/** Names of the kernels that registerWasmTrainingKernels adds or replaces. */
export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = [...MISSING_KERNELS, ...REPLACED_KERNELS].map(
  (kernel) => kernel.kernelName,
);

/**
 * Registers the training kernels for backend 'wasm'; calling it again changes nothing. It must run after
 * @tensorflow/tfjs-backend-wasm is imported, or the import would put back the kernels replaced here.
 */
export function registerWasmTrainingKernels(): void {
  if (registeredKernel('Conv2D') === undefined) {
    throw new Error(
      "Expected @tensorflow/tfjs-backend-wasm to be loaded before registering its training kernels: import it or call useBackend('wasm').",
    );
  }
  for (const kernel of MISSING_KERNELS) {
    if (registeredKernel(kernel.kernelName) === undefined) tf.registerKernel(kernel);
  }
  for (const kernel of REPLACED_KERNELS) {
    const current = registeredKernel(kernel.kernelName);
    if (current?.kernelFunc === kernel.kernelFunc) continue;
    if (current !== undefined) {
      wasmOwnKernels.set(kernel.kernelName, current.kernelFunc);
      tf.unregisterKernel(kernel.kernelName, 'wasm');
    }
    tf.registerKernel(kernel);
  }
}

function registeredKernel(kernelName: string): tf.KernelConfig | undefined {
  // getKernel is typed as always finding one, but returns undefined for a kernel nobody registered.
  return tf.getKernel(kernelName, 'wasm');
}
