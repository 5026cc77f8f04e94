// Identity for wasm without a copy: the output shares the input's memory, as the cpu backend's Identity does. The same
// for a Cast to the type the tensor already has, which the ReLU gradient makes for every activation.
//
// tfjs-backend-wasm 4.22 copies the whole tensor on Identity, and training calls it for every layer's activations
// (tf.clone, variable reads, the gradient tape); at batch 8 on ResNet18 that was 257 MB of copies per step, and at
// batch 128 the copies helped push a training step past wasm's 4 GB address space. Tensors are immutable, so
// sharing is safe; the backend's reference count (which Reshape already uses) frees the memory once.
import type * as tf from '@tensorflow/tfjs';
import { wasmBackendOf, type WasmBackend } from './wasm-backend.js';

/** A tensor sharing `x`'s memory, which the backend's reference count frees once. */
export function share(x: tf.TensorInfo, backend: WasmBackend): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const wasmIdentityConfig: tf.KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => share(inputs.x as tf.TensorInfo, wasmBackendOf(backend)),
};

/**
 * Cast that shares where the type does not change. wasm's own Cast (`convert`) copies the values as they are, which
 * is right for numbers but gives bool 254 for -2: to bool, anything but 0 becomes 1, as on every other backend.
 */
export function wasmCastConfig(convert: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: 'Cast',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const { dtype } = args.attrs as unknown as tf.CastAttrs;
      const backend = wasmBackendOf(args.backend);
      if (dtype === x.dtype) return share(x, backend);
      if (dtype !== 'bool' || x.dtype === 'string') return convert(args);
      const out = backend.makeOutput([...x.shape], 'bool');
      const values = backend.typedArrayFromHeap(x);
      const bools = backend.typedArrayFromHeap(out);
      for (let index = 0; index < values.length; index++) bools[index] = values[index] === 0 ? 0 : 1;
      return out;
    },
  };
}
