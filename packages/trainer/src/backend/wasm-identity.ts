// Identity for wasm without a copy: the output shares the input's memory, as the cpu backend's Identity does.
//
// tfjs-backend-wasm 4.22 copies the whole tensor on Identity, and training calls it for every layer's activations
// (tf.clone, variable reads, the gradient tape); at batch 8 on ResNet18 that was 257 MB of copies per step, and at
// batch 128 the copies helped push a training step past wasm's 4 GB address space. Tensors are immutable, so
// sharing is safe; the backend's reference count (which Reshape already uses) frees the memory once.
import type * as tf from '@tensorflow/tfjs';

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

export const wasmIdentityConfig: tf.KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    (backend as unknown as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
};
