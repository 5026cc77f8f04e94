// Conv2DBackpropInput for the wasm backend as a forward convolution by wasm's own (XNNPACK) Conv2D kernel.
//
// wasm ships this kernel, but as a plain loop: 1.5-2 GFLOP/s against the forward convolution's 22 on a ResNet18
// layer, which made it most of a training step. The input gradient of a convolution with stride s is the
// convolution of dy, dilated by s (s - 1 zeros between its rows and columns), with the filter rotated by 180
// degrees and its in/out channels swapped:
//   dx[n, h, w, ci] = sum over kh, kw, co of dyDilated[n, h + top - kh, w + left - kw, co] * filter[kh, kw, ci, co]
// where top and left are the forward pass's padding. Stride-2 layers compute s^2 times the needed products (on the
// inserted zeros), still far faster than the loop.
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
  const { batchSize, inHeight, inWidth, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, padInfo } = info;

  return composeWasmKernels(backend as tf.KernelBackend, (run) => {
    // [n, oh * sh, ow * sw, co]: dy with sh - 1 zero rows after each row and sw - 1 zero columns after each column.
    const dilated = dilate(run, dy, [batchSize, outHeight, outWidth, outChannels], strideHeight, strideWidth);
    // Rows of the dilated dy that the rotated filter must see above row 0 of dx, and how many rows it has in all.
    const rows = window(filterHeight, padInfo.top, outHeight * strideHeight, inHeight);
    const columns = window(filterWidth, padInfo.left, outWidth * strideWidth, inWidth);
    const cropped =
      rows.cropStart > 0 || rows.cropEnd > 0 || columns.cropStart > 0 || columns.cropEnd > 0
        ? run(
            'Slice',
            { x: dilated },
            {
              begin: [0, rows.cropStart, columns.cropStart, 0],
              size: [
                batchSize,
                outHeight * strideHeight - rows.cropStart - rows.cropEnd,
                outWidth * strideWidth - columns.cropStart - columns.cropEnd,
                outChannels,
              ],
            },
          )
        : dilated;
    // [kh, kw, co, ci]: rotated by 180 degrees, in and out channels swapped.
    const rotated = run('Transpose', { x: run('Reverse', { x: filter }, { dims: [0, 1] }) }, { perm: [0, 1, 3, 2] });
    return run(
      'Conv2D',
      { x: cropped, filter: rotated },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [rows.padStart, rows.padEnd],
          [columns.padStart, columns.padEnd],
          [0, 0],
        ],
        dilations: [1, 1],
        dataFormat: 'NHWC',
      },
    );
  });
}

/** [n, h, w, c] -> [n, h * sh, w * sw, c] with the zeros after each element, using only 4-D reshapes and pads. */
function dilate(run: RunWasmKernel, x: tf.TensorInfo, [n, h, w, c]: Shape4D, sh: number, sw: number): tf.TensorInfo {
  if (sh === 1 && sw === 1) return x;
  const columnsSpread = run(
    'PadV2',
    { x: run('Reshape', { x }, { shape: [n * h, w, 1, c] }) },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  const rowsSpread = run(
    'PadV2',
    { x: run('Reshape', { x: columnsSpread }, { shape: [n, h, 1, w * sw * c] }) },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  return run('Reshape', { x: rowsSpread }, { shape: [n, h * sh, w * sw, c] });
}

/**
 * Along one axis: the valid convolution of the (cropped, padded) dilated dy with the rotated filter must give
 * exactly `inputSize` outputs, output i reading dilated rows i + forwardPad - (filter - 1) ... i + forwardPad.
 * Negative padding becomes cropping.
 */
function window(filter: number, forwardPad: number, dilatedSize: number, inputSize: number) {
  const start = filter - 1 - forwardPad;
  const end = inputSize + filter - 1 - start - dilatedSize;
  return {
    padStart: Math.max(0, start),
    cropStart: Math.max(0, -start),
    padEnd: Math.max(0, end),
    cropEnd: Math.max(0, -end),
  };
}

export const wasmConv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
