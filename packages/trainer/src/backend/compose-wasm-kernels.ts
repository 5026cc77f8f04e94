// Builds a kernel out of the wasm backend's own kernels, disposing every intermediate result on the wasm heap.
import * as tf from '@tensorflow/tfjs';

/**
 * Runs one of wasm's kernels; its output is an intermediate unless the composed kernel returns it. `inputs` is a list
 * for the kernels that take one (Concat, AddN).
 */
export type RunWasmKernel = (
  kernelName: string,
  inputs: tf.NamedTensorInfoMap | tf.TensorInfo[],
  attrs?: tf.NamedAttrMap,
) => tf.TensorInfo;

/**
 * Calls `compose` with a runner for wasm's registered kernels and returns the TensorInfo that `compose` returns.
 * Every other output the runner made is disposed, also when `compose` throws: kernels work on TensorInfos, which
 * the engine does not track, so nothing else would free them.
 */
export function composeWasmKernels(
  backend: tf.KernelBackend,
  compose: (run: RunWasmKernel) => tf.TensorInfo,
): tf.TensorInfo {
  const intermediates: tf.TensorInfo[] = [];
  let result: tf.TensorInfo | undefined;
  try {
    result = compose((kernelName, inputs, attrs = {}) => {
      // tfjs-core passes list inputs as the array itself, typed as a map.
      const output = wasmKernel(kernelName).kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs });
      const outputs = Array.isArray(output) ? output : [output];
      intermediates.push(...outputs);
      if (outputs.length !== 1) {
        throw new Error(`Expected wasm kernel '${kernelName}' to return one tensor, got ${outputs.length}.`);
      }
      return outputs[0]!;
    });
    return result;
  } finally {
    // A reshape shares its input's data and counts a reference to it, so disposing each output once is exact.
    for (const info of intermediates) if (info !== result) backend.disposeData(info.dataId);
  }
}

function wasmKernel(kernelName: string): tf.KernelConfig {
  // getKernel is typed as always finding one, but returns undefined for a kernel nobody registered.
  const kernel = tf.getKernel(kernelName, 'wasm') as tf.KernelConfig | undefined;
  if (kernel === undefined) {
    throw new Error(
      `The wasm backend has no '${kernelName}' kernel to build on: load @tensorflow/tfjs-backend-wasm 4.22 before running wasm kernels.`,
    );
  }
  return kernel;
}
