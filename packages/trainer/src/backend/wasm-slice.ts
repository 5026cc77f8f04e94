// Slice for wasm that copies whole contiguous runs.
//
// tfjs-backend-wasm 4.22 slices a rank-4 tensor by copying one innermost row at a time, each through a new subarray:
// the gradient of a strided convolution's zero padding (a [128, 34, 34, 64] gradient sliced to [128, 32, 32, 64]) is
// 131,072 copies of 64 values and took 80 ms. Axes after the last partially sliced one are copied whole, so they
// merge with it into runs (here 4,096 runs of 2,048 values): 20x fewer copies, each a plain memory move.
import * as tf from '@tensorflow/tfjs';
import { wasmBackendOf } from './wasm-backend.js';

/**
 * The Slice kernel that copies contiguous runs; `stringSlice` is wasm's own, for string tensors, which do not live
 * on the heap.
 */
export function wasmSliceConfig(stringSlice: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.Slice,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return stringSlice(args);
      const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
      const [start, extent] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
      const backend = wasmBackendOf(args.backend);
      const out = backend.makeOutput(extent, x.dtype);
      // Views after the allocation, which may grow the heap and detach earlier views.
      copyRuns(backend.typedArrayFromHeap(x), x.shape, start, extent, backend.typedArrayFromHeap(out));
      return out;
    },
  };
}

/** Copies the box `start` + `extent` of `source` (row-major, `shape`) into `target`, one contiguous run at a time. */
function copyRuns(
  source: tf.backend_util.TypedArray,
  shape: readonly number[],
  start: readonly number[],
  extent: readonly number[],
  target: tf.backend_util.TypedArray,
): void {
  if (extent.some((length) => length === 0)) return;
  const strides = tf.util.computeStrides(shape as number[]);
  // The run axis: the last axis sliced partially (the axes after it are whole, so a run spans them too).
  let runAxis = shape.length - 1;
  while (runAxis > 0 && start[runAxis] === 0 && extent[runAxis] === shape[runAxis]) runAxis--;
  const runLength = extent.slice(runAxis).reduce((product, length) => product * length, 1);
  const outerAxes = runAxis;
  const index = new Array<number>(outerAxes).fill(0);
  let targetOffset = 0;
  for (;;) {
    let sourceOffset = start[runAxis]! * (strides[runAxis] ?? 1);
    for (let axis = 0; axis < outerAxes; axis++) sourceOffset += (start[axis]! + index[axis]!) * strides[axis]!;
    target.set(source.subarray(sourceOffset, sourceOffset + runLength), targetOffset);
    targetOffset += runLength;
    // Next index over the outer axes, last fastest.
    let axis = outerAxes - 1;
    while (axis >= 0 && ++index[axis]! === extent[axis]) index[axis--] = 0;
    if (axis < 0) return;
  }
}
