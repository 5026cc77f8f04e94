// Conv2DBackpropInput for the wasm backend as forward convolutions by wasm's own (XNNPACK) Conv2D kernel.
//
// wasm ships this kernel, but as a plain loop: 1.5-2 GFLOP/s against the forward convolution's 22 on a ResNet18
// layer, which made it most of a training step. The input gradient of a convolution is a convolution of dy with the
// filter rotated by 180 degrees and its in/out channels swapped. With a stride s > 1 that convolution would run
// over dy dilated by s - 1 zeros, three quarters of it zeros for s = 2, so the work is split by output phase
// instead: the dx rows with (h + top) % s = r (top the forward pass's padding) only meet filter rows r, r + s,
// r + 2s, ..., so each phase is a stride-1 convolution of dy itself with those taps, and the phases interleave
// back into dx. The products are exactly the needed ones; with stride 1 there is one phase, the whole filter.
import * as tf from '@tensorflow/tfjs';
import { composeWasmKernels, type RunWasmKernel } from './compose-wasm-kernels.js';

type Shape4D = [number, number, number, number];

function conv2DBackpropInput({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropInput on wasm supports dataFormat 'NHWC' only, got '${String(dataFormat)}'.`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as Shape4D,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return composeWasmKernels(backend as tf.KernelBackend, (run) => byPhases(run, dy, filter, info));
}

/**
 * Filter taps as a filter of their own, [th, tw, co, ci] with in and out channels swapped: `taps(i, j)` is the index
 * kh * kw-wise of the original tap that goes to row i, column j. Taps are rows of the filter seen as a
 * [kh * kw, ci * co] matrix, so picking them is slicing rows and concatenating them in the new order. wasm's Reverse
 * and StridedSlice kernels are element-by-element loops (Reverse took 205 ms on a 3x3x512x512 filter, longer than
 * the convolution that uses it); Slice and Concat copy whole rows.
 */
function pickTaps(
  run: RunWasmKernel,
  filter: tf.TensorInfo,
  [kh, kw, ci, co]: Shape4D,
  [th, tw]: [number, number],
  taps: (row: number, column: number) => number,
): tf.TensorInfo {
  const rows = run('Reshape', { x: filter }, { shape: [kh * kw, ci * co] });
  const picked = Array.from({ length: th * tw }, (_, index) =>
    run('Slice', { x: rows }, { begin: [taps(Math.floor(index / tw), index % tw), 0], size: [1, ci * co] }),
  );
  const joined = picked.length === 1 ? picked[0]! : run('Concat', picked, { axis: 0 });
  return run('Transpose', { x: run('Reshape', { x: joined }, { shape: [th, tw, ci, co] }) }, { perm: [0, 1, 3, 2] });
}

/**
 * Along one axis, which dy rows a phase reads. dx row i = q * s + r - forwardPad (r the phase) gets
 * sum over m of dy[q - m] * filter[r + m * s]. Every phase computes q = first ... first + count - 1, so that
 * interleaving the phases gives dx rows from first * s - forwardPad on, which `offset` crops to row 0.
 */
function phaseAxis(filter: number, stride: number, forwardPad: number, dySize: number, inputSize: number) {
  const first = Math.floor(forwardPad / stride);
  const offset = forwardPad - first * stride;
  const count = Math.ceil((inputSize + offset) / stride);
  const phases = Array.from({ length: stride }, (_, phase) => {
    // Filter taps phase, phase + s, ...; the rotated sub-filter reads dy rows q - (taps - 1) ... q.
    const taps = Math.max(0, Math.ceil((filter - phase) / stride));
    const start = taps - 1 - first;
    const end = first + count - 1 - (dySize - 1);
    return {
      taps,
      padStart: Math.max(0, start),
      cropStart: Math.max(0, -start),
      padEnd: Math.max(0, end),
      cropEnd: Math.max(0, -end),
    };
  });
  return { offset, count, phases };
}

function byPhases(
  run: RunWasmKernel,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const rows = phaseAxis(g.filterHeight, g.strideHeight, g.padInfo.top, g.outHeight, g.inHeight);
  const columns = phaseAxis(g.filterWidth, g.strideWidth, g.padInfo.left, g.outWidth, g.inWidth);
  const phaseShape = [g.batchSize, rows.count, columns.count, g.inChannels];
  const rowGroups = rows.phases.map((row, rowPhase) => {
    const phaseOutputs = columns.phases.map((column, columnPhase) => {
      if (row.taps === 0 || column.taps === 0) {
        return run('Fill', {}, { shape: phaseShape, value: 0, dtype: 'float32' });
      }
      // [taps_h, taps_w, co, ci]: taps phase, phase + s, ... of the filter, rotated by 180 degrees.
      const rotated = pickTaps(
        run,
        filter,
        [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels],
        [row.taps, column.taps],
        (i, j) =>
          (rowPhase + (row.taps - 1 - i) * g.strideHeight) * g.filterWidth +
          (columnPhase + (column.taps - 1 - j) * g.strideWidth),
      );
      const cropped =
        row.cropStart > 0 || row.cropEnd > 0 || column.cropStart > 0 || column.cropEnd > 0
          ? run(
              'Slice',
              { x: dy },
              {
                begin: [0, row.cropStart, column.cropStart, 0],
                size: [
                  g.batchSize,
                  g.outHeight - row.cropStart - row.cropEnd,
                  g.outWidth - column.cropStart - column.cropEnd,
                  g.outChannels,
                ],
              },
            )
          : dy;
      return run(
        'Conv2D',
        { x: cropped, filter: rotated },
        {
          strides: [1, 1],
          pad: [
            [0, 0],
            [row.padStart, row.padEnd],
            [column.padStart, column.padEnd],
            [0, 0],
          ],
          dilations: [1, 1],
          dataFormat: 'NHWC',
        },
      );
    });
    // Column phases side by side in the channel axis are, in memory, the interleaved columns.
    const interleaved = phaseOutputs.length === 1 ? phaseOutputs[0]! : run('Concat', phaseOutputs, { axis: 3 });
    return run(
      'Reshape',
      { x: interleaved },
      { shape: [g.batchSize, rows.count, 1, columns.count * g.strideWidth * g.inChannels] },
    );
  });
  // Likewise the row phases, one after another within each row group, are the interleaved rows.
  const stacked = rowGroups.length === 1 ? rowGroups[0]! : run('Concat', rowGroups, { axis: 2 });
  const full = run(
    'Reshape',
    { x: stacked },
    {
      shape: [g.batchSize, rows.count * g.strideHeight, columns.count * g.strideWidth, g.inChannels],
    },
  );
  const covered = rows.count * g.strideHeight === g.inHeight && columns.count * g.strideWidth === g.inWidth;
  if (covered && rows.offset === 0 && columns.offset === 0) return full;
  return run(
    'Slice',
    { x: full },
    { begin: [0, rows.offset, columns.offset, 0], size: [g.batchSize, g.inHeight, g.inWidth, g.inChannels] },
  );
}

export const wasmConv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
