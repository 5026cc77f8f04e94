// MaxPoolGrad for the wasm backend, replacing the one it ships, built from wasm's own kernels.
//
// wasm's MaxPoolGrad (tfjs-backend-wasm 4.22, MaxPoolGrad.cc) starts each window's maximum at
// std::numeric_limits<float>::min(), the smallest positive float, not -infinity: a window without a positive value
// sends its gradient to element 0 of the whole tensor. It also breaks ties towards the last maximum, where the cpu
// backend and TensorFlow take the first.
//
// Here each window's gradient goes to the first position, in row-major window order, whose value equals the pooled
// maximum. Per tap (kh, kw) of the window: the tap's input values for every window, compared with the output, less
// the windows an earlier tap claimed, select dy; the selected dy is added back at the tap's input positions.
// Strided taps are read and written through "phases": [n, hq * s, wq * s, c] regrouped as s x s planes
// [n, hq, wq, c], in which a strided tap is a plain window offset by (kh div s, kw div s).
import * as tf from '@tensorflow/tfjs';
import { composeWasmKernels, type RunWasmKernel } from './compose-wasm-kernels.js';

type Shape4D = [number, number, number, number];

/** An NHWC tensor of [n, hq * strideHeight, wq * strideWidth, c] seen as its strideHeight x strideWidth phases. */
interface PhaseGrid {
  readonly batch: number;
  readonly blockHeight: number;
  readonly blockWidth: number;
  readonly channels: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
}

function maxPoolGrad({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, input, output } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as Shape4D, filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;
  // Tall and wide enough for the padded input and for every tap's offset window, in whole strides.
  const grid: PhaseGrid = {
    batch: batchSize,
    blockHeight: Math.max(
      Math.ceil((padInfo.top + inHeight) / strideHeight),
      outHeight + Math.floor((info.filterHeight - 1) / strideHeight),
    ),
    blockWidth: Math.max(
      Math.ceil((padInfo.left + inWidth) / strideWidth),
      outWidth + Math.floor((info.filterWidth - 1) / strideWidth),
    ),
    channels: inChannels,
    strideHeight,
    strideWidth,
  };
  const paddedHeight = grid.blockHeight * strideHeight;
  const paddedWidth = grid.blockWidth * strideWidth;

  return composeWasmKernels(backend as tf.KernelBackend, (run) => {
    // Padding never wins a window: -infinity is below any value, so it is never the maximum.
    const padded = run(
      'PadV2',
      { x: input },
      {
        paddings: [
          [0, 0],
          [padInfo.top, paddedHeight - padInfo.top - inHeight],
          [padInfo.left, paddedWidth - padInfo.left - inWidth],
          [0, 0],
        ],
        constantValue: -Infinity,
      },
    );
    const inputPhases = toPhases(run, padded, grid);
    const zeros = run('ZerosLike', { x: dy });
    // Summed gradient per phase, [n, hq, wq, c], keyed by phase row * strideWidth + phase column.
    const planes = new Map<number, tf.TensorInfo>();
    let claimed: tf.TensorInfo | undefined;
    for (let kh = 0; kh < info.filterHeight; kh++) {
      for (let kw = 0; kw < info.filterWidth; kw++) {
        const [phaseRow, blockRow] = [kh % strideHeight, Math.floor(kh / strideHeight)];
        const [phaseColumn, blockColumn] = [kw % strideWidth, Math.floor(kw / strideWidth)];
        // [n, oh, ow, c]: this tap's input value in every window.
        const tap = run(
          'Slice',
          { x: inputPhases },
          {
            begin: [phaseIndex(grid, phaseRow, phaseColumn) * batchSize, blockRow, blockColumn, 0],
            size: [batchSize, outHeight, outWidth, inChannels],
          },
        );
        const isMaximum = run('Equal', { a: tap, b: output });
        const first = claimed ? run('LogicalAnd', { a: isMaximum, b: run('LogicalNot', { x: claimed }) }) : isMaximum;
        claimed = claimed ? run('LogicalOr', { a: claimed, b: isMaximum }) : isMaximum;
        const selected = run('Select', { condition: first, t: dy, e: zeros });
        // [n, hq, wq, c]: back at the tap's input positions within its phase.
        const placed = run(
          'PadV2',
          { x: selected },
          {
            paddings: [
              [0, 0],
              [blockRow, grid.blockHeight - outHeight - blockRow],
              [blockColumn, grid.blockWidth - outWidth - blockColumn],
              [0, 0],
            ],
            constantValue: 0,
          },
        );
        const key = phaseRow * strideWidth + phaseColumn;
        const sum = planes.get(key);
        planes.set(key, sum ? run('Add', { a: sum, b: placed }) : placed);
      }
    }
    const planeShape = [batchSize, grid.blockHeight, grid.blockWidth, inChannels];
    const ordered: tf.TensorInfo[] = [];
    for (let phaseColumn = 0; phaseColumn < strideWidth; phaseColumn++) {
      for (let phaseRow = 0; phaseRow < strideHeight; phaseRow++) {
        // A phase that no tap reaches (pool smaller than stride) receives no gradient.
        const plane = planes.get(phaseRow * strideWidth + phaseColumn);
        ordered.push(plane ?? run('Fill', {}, { shape: planeShape, value: 0, dtype: 'float32' }));
      }
    }
    const gradientPhases = ordered.length === 1 ? ordered[0]! : run('Concat', ordered, { axis: 0 });
    const paddedGradient = fromPhases(run, gradientPhases, grid);
    return run(
      'Slice',
      { x: paddedGradient },
      { begin: [0, padInfo.top, padInfo.left, 0], size: [batchSize, inHeight, inWidth, inChannels] },
    );
  });
}

/** Block of the phase (phase row, phase column) in toPhases' output, in units of the batch size. */
function phaseIndex(grid: PhaseGrid, phaseRow: number, phaseColumn: number): number {
  return phaseColumn * grid.strideHeight + phaseRow;
}

/**
 * [n, hq * sh, wq * sw, c] -> [sw * sh * n, hq, wq, c], phase-major: element (i * sh + ph, j * sw + pw) of image b
 * goes to block phaseIndex(ph, pw), image b, position (i, j). Two rank-3 transposes, which wasm does quickly.
 */
function toPhases(run: RunWasmKernel, x: tf.TensorInfo, grid: PhaseGrid): tf.TensorInfo {
  const { batch, blockHeight, blockWidth, channels, strideHeight, strideWidth } = grid;
  const paddedWidth = blockWidth * strideWidth;
  // [n * hq, sh, wp * c] -> [sh, n * hq, wp * c]
  let phases = run('Reshape', { x }, { shape: [batch * blockHeight, strideHeight, paddedWidth * channels] });
  if (strideHeight > 1) phases = run('Transpose', { x: phases }, { perm: [1, 0, 2] });
  // [sh * n * hq * wq, sw, c] -> [sw, sh * n * hq * wq, c]
  phases = run(
    'Reshape',
    { x: phases },
    { shape: [strideHeight * batch * blockHeight * blockWidth, strideWidth, channels] },
  );
  if (strideWidth > 1) phases = run('Transpose', { x: phases }, { perm: [1, 0, 2] });
  return run(
    'Reshape',
    { x: phases },
    { shape: [strideWidth * strideHeight * batch, blockHeight, blockWidth, channels] },
  );
}

/** The inverse of toPhases: [sw * sh * n, hq, wq, c] -> [n, hq * sh, wq * sw, c]. */
function fromPhases(run: RunWasmKernel, phases: tf.TensorInfo, grid: PhaseGrid): tf.TensorInfo {
  const { batch, blockHeight, blockWidth, channels, strideHeight, strideWidth } = grid;
  const paddedWidth = blockWidth * strideWidth;
  // [sw, sh * n * hq * wq, c] -> [sh * n * hq * wq, sw, c]
  let x = run(
    'Reshape',
    { x: phases },
    { shape: [strideWidth, strideHeight * batch * blockHeight * blockWidth, channels] },
  );
  if (strideWidth > 1) x = run('Transpose', { x }, { perm: [1, 0, 2] });
  // [sh, n * hq, wp * c] -> [n * hq, sh, wp * c]
  x = run('Reshape', { x }, { shape: [strideHeight, batch * blockHeight, paddedWidth * channels] });
  if (strideHeight > 1) x = run('Transpose', { x }, { perm: [1, 0, 2] });
  return run('Reshape', { x }, { shape: [batch, blockHeight * strideHeight, paddedWidth, channels] });
}

export const wasmMaxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
