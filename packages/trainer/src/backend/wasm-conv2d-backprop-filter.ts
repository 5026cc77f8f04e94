// Conv2DBackpropFilter for the wasm backend, which ships without it: the filter gradient of an NHWC convolution,
// computed as another convolution by wasm's own (XNNPACK) Conv2D kernel.
//
// With x zero-padded as in the forward pass and stride s,
//   dFilter[kh, kw, ci, co] = sum over n, oh, ow of xPadded[n, oh*s + kh, ow*s + kw, ci] * dy[n, oh, ow, co],
// which is a convolution of xPadded with the batch as its channels ([ci, h, w, n]) by dy as its filter
// ([oh, ow, n, co]), dilated by s. Its output [ci, kh, kw, co] is the gradient, transposed.
import * as tf from '@tensorflow/tfjs';
import { composeWasmKernels } from './compose-wasm-kernels.js';

type Shape4D = [number, number, number, number];

function conv2DBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropFilter on wasm supports dataFormat 'NHWC' only, got '${String(dataFormat)}'.`);
  }
  // tfjs-core's conv2d gradient refuses dilations other than 1 before it gets here; a direct caller may not.
  const { dilations } = attrs as { dilations?: number | [number, number] };
  if (dilations !== undefined && !tf.backend_util.tupleValuesAreOne(dilations)) {
    throw new Error(`Conv2DBackpropFilter on wasm supports dilations 1 only, got ${JSON.stringify(dilations)}.`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4D,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, padInfo } = info;
  // The last window starts at (out - 1) * stride of the padded input: rows and columns past its end are never read,
  // and with 'ceil' rounding the window may end past the padding, where it reads zeros.
  const reachHeight = (outHeight - 1) * info.strideHeight + info.filterHeight;
  const reachWidth = (outWidth - 1) * info.strideWidth + info.filterWidth;
  const usedHeight = Math.min(inHeight, reachHeight - padInfo.top);
  const usedWidth = Math.min(inWidth, reachWidth - padInfo.left);

  return composeWasmKernels(backend as tf.KernelBackend, (run) => {
    const used =
      usedHeight < inHeight || usedWidth < inWidth
        ? run('Slice', { x }, { begin: [0, 0, 0, 0], size: [batchSize, usedHeight, usedWidth, inChannels] })
        : x;
    // [ci, h, w, n]: the batch becomes the channel axis that the convolution sums over.
    const images = run('Transpose', { x: used }, { perm: [3, 1, 2, 0] });
    // [oh, ow, n, co]
    const dyFilter = run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const paddings = [
      [0, 0],
      [padInfo.top, reachHeight - padInfo.top - usedHeight],
      [padInfo.left, reachWidth - padInfo.left - usedWidth],
      [0, 0],
    ];
    // [ci, kh, kw, co]: the dilated dy spans exactly reach - filter + 1 positions, so kh x kw outputs remain.
    const taps = run(
      'Conv2D',
      { x: images, filter: dyFilter },
      {
        strides: [1, 1],
        pad: paddings,
        dilations: [info.strideHeight, info.strideWidth],
        dataFormat: 'NHWC',
      },
    );
    // [kh, kw, ci, co]
    return run('Transpose', { x: taps }, { perm: [1, 2, 0, 3] });
  });
}

export const wasmConv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
