// The end of a residual block in inference: relu(conv2d(x, filter) + bias + residual), one op. Where a backend has a
// kernel for it (wasm with the oneDNN addon: the sum and the ReLU are post-ops of the convolution, which write the
// output in the same pass), that kernel runs; elsewhere it is tf.fused.conv2d with the bias, then add and ReLU.
import * as tf from '@tensorflow/tfjs';

/** The kernel's name; backends register it only where they compute it as one op. */
export const RESIDUAL_CONV2D = 'ResNetLabResidualConv2D';

export interface ResidualConv2DInputs {
  /** [batch, inHeight, inWidth, inChannels] */
  readonly x: tf.Tensor4D;
  /** [kh, kw, inChannels, outChannels] */
  readonly filter: tf.Tensor4D;
  /** [outChannels] */
  readonly bias: tf.Tensor1D;
  /** [batch, outHeight, outWidth, outChannels]: the block's shortcut. */
  readonly residual: tf.Tensor4D;
}

export interface ResidualConv2DAttrs {
  readonly strides: number;
  readonly pad: 'valid' | tf.backend_util.ExplicitPadding;
}

/** relu(conv2d(x, filter, strides, pad) + bias + residual), NHWC, no dilation. Not differentiable. */
export function residualConv2d(inputs: ResidualConv2DInputs, attrs: ResidualConv2DAttrs): tf.Tensor4D {
  // getKernel is typed as always finding one, but returns undefined for a kernel nobody registered.
  if ((tf.getKernel(RESIDUAL_CONV2D, tf.getBackend()) as tf.KernelConfig | undefined) !== undefined) {
    return tf
      .engine()
      .runKernel<tf.Tensor4D>(
        RESIDUAL_CONV2D,
        inputs as unknown as tf.NamedTensorMap,
        attrs as unknown as tf.NamedAttrMap,
      );
  }
  return tf.tidy(() => {
    const { x, filter, bias, residual } = inputs;
    const convolved = tf.fused.conv2d({ x, filter, bias, strides: attrs.strides, pad: attrs.pad });
    return tf.relu(tf.add<tf.Tensor4D>(convolved, residual));
  });
}
