// The parts of tfjs-backend-wasm's BackendWasm that this package's wasm kernels use. Kernels receive it typed as a
// plain tf.KernelBackend; wasmBackendOf narrows it.
import type * as tf from '@tensorflow/tfjs';

export interface WasmBackend {
  /** Counts one more tensor sharing `dataId`'s memory (freed when the last one is disposed). */
  incRef(dataId: tf.DataId): void;
  /** Allocates an output tensor on the heap; this may grow the heap, which detaches views taken before. */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of a tensor's values where they are, on the heap. */
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
  /** Counts one tensor fewer sharing `dataId`'s memory; true where that freed it (or it was not there). */
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

export function wasmBackendOf(backend: unknown): WasmBackend {
  return backend as WasmBackend;
}

/** A float32 tensor's values where they are, on the heap (a view: take it after any allocation). */
export function heapFloats(backend: WasmBackend, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}
