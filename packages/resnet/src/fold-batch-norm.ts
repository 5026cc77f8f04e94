// Batch norm in inference mode folded into the convolution before it: one convolution with a bias computes both.
//
// In inference mode a batch norm is an affine map per channel, y = gamma * (z - mean) / sqrt(var + eps) + beta, and z
// is the convolution's output, linear in its weights. So with s = gamma / sqrt(var + eps) per output channel,
//   W' = W * s,   b' = beta - mean * s
// and conv(x, W') + b' = batchNorm(conv(x, W)) up to float rounding (the fold itself is computed in double precision).

/** A batch norm's per-channel weights, in the order tfjs-layers stores them. */
export interface BatchNormWeights {
  readonly gamma: ArrayLike<number>;
  readonly beta: ArrayLike<number>;
  readonly movingMean: ArrayLike<number>;
  readonly movingVariance: ArrayLike<number>;
}

/** A convolution with the batch norm after it folded in: the kernel's layout is unchanged, the bias is new. */
export interface FoldedConvolution {
  /** [kernelHeight, kernelWidth, inChannels, outChannels], as tfjs stores a Conv2D kernel. */
  readonly kernel: Float32Array;
  /** [outChannels] */
  readonly bias: Float32Array;
}

/**
 * Folds `batchNorm` (with its `epsilon`) into a bias-free convolution's `kernel`, stored with the output channel
 * last ([kh, kw, in, out]). Throws when the kernel's size is not a multiple of the channel count, or a batch norm
 * weight has another length.
 */
export function foldBatchNorm(
  kernel: ArrayLike<number>,
  batchNorm: BatchNormWeights,
  epsilon: number,
): FoldedConvolution {
  const channels = batchNorm.gamma.length;
  for (const [name, values] of Object.entries(batchNorm) as [string, ArrayLike<number>][]) {
    if (values.length !== channels) {
      throw new RangeError(`Expected ${channels} values of ${name} (one per channel, as gamma), got ${values.length}.`);
    }
  }
  if (channels === 0 || kernel.length % channels !== 0) {
    throw new RangeError(
      `Expected the kernel's ${kernel.length} values to be a multiple of the batch norm's ${channels} channels.`,
    );
  }
  const scale = Float64Array.from(
    { length: channels },
    (_, channel) => batchNorm.gamma[channel]! / Math.sqrt(batchNorm.movingVariance[channel]! + epsilon),
  );
  const folded = new Float32Array(kernel.length);
  for (let index = 0; index < kernel.length; index++) folded[index] = kernel[index]! * scale[index % channels]!;
  const bias = Float32Array.from(
    { length: channels },
    (_, channel) => batchNorm.beta[channel]! - batchNorm.movingMean[channel]! * scale[channel]!,
  );
  return { kernel: folded, bias };
}
