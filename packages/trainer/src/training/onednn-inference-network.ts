// A folded ResNet's whole forward pass as one oneDNN network in the addon (createNetwork in
// native/onednn-kernels.cc): one native call per batch instead of one tfjs op per layer. At batch 1, a prediction,
// tfjs's dispatch and its tensors on the wasm heap cost about as much as the convolutions themselves.
import { INPUT_CHANNELS, type ConvPlan, type FoldedConvolution, type ResNetPlan } from '@resnet-lab/resnet';
import {
  InferenceFlag,
  geometryOf,
  oneDnnNetworks,
  type OneDnnNetworkHandle,
  type OneDnnNetworks,
} from '../backend/onednn-kernels.js';

const enum OpKind {
  Convolution = 0,
  MaxPool = 1,
}

/** The linear layer: [inFeatures, classes] and [classes]. */
export interface LinearWeights {
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
}

/** One op as createNetwork takes it: what it reads are value numbers, 0 the images; op i writes value i + 1. */
interface NetworkOp {
  readonly kind: OpKind;
  readonly flags: number;
  readonly input: number;
  readonly residual: number;
  readonly geometry: Int32Array;
  readonly weights: Float32Array | null;
  readonly bias: Float32Array | null;
}

export class OneDnnInferenceNetwork {
  private freed = false;

  private constructor(
    private readonly addon: OneDnnNetworks,
    private readonly handle: OneDnnNetworkHandle,
    readonly classes: number,
  ) {}

  /**
   * The network of `plan` with its convolutions `folded` (by name) and its `linear` layer, where oneDNN computes the
   * wasm backend's kernels; undefined elsewhere. The addon keeps copies of the weights.
   */
  static create(
    plan: ResNetPlan,
    folded: ReadonlyMap<string, FoldedConvolution>,
    linear: LinearWeights,
  ): OneDnnInferenceNetwork | undefined {
    const addon = oneDnnNetworks();
    if (addon === undefined) return undefined;
    const ops = networkOps(plan, folded);
    const size = plan.config.inputSize;
    const handle = addon.createNetwork(
      Int32Array.from([size, size, INPUT_CHANNELS]),
      Int32Array.from(ops.flatMap((op) => [op.kind, op.flags, op.input, op.residual])),
      Int32Array.from(ops.flatMap((op) => [...op.geometry])),
      ops.map((op) => op.weights),
      ops.map((op) => op.bias),
      linear.kernel,
      linear.bias,
    );
    return new OneDnnInferenceNetwork(addon, handle, plan.linear.outFeatures);
  }

  /** [batch, classes] logits of [batch, height, width, 3] images (the addon checks their length). */
  logits(images: Float32Array, batch: number): Float32Array {
    if (this.freed) throw new Error('This network has been freed.');
    const logits = new Float32Array(batch * this.classes);
    this.addon.runNetwork(this.handle, batch, images, logits);
    return logits;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.addon.freeNetwork(this.handle);
  }
}

/** The plan's layers in order: each block's shortcut first, then its convolutions, the last with the residual sum. */
function networkOps(plan: ResNetPlan, folded: ReadonlyMap<string, FoldedConvolution>): NetworkOp[] {
  const ops: NetworkOp[] = [];
  const convolve = (conv: ConvPlan, input: number, flags: number, residual = -1): number => {
    const { kernel, bias } = folded.get(conv.name)!;
    ops.push({
      kind: OpKind.Convolution,
      flags: InferenceFlag.Bias | flags,
      input,
      residual,
      geometry: windowGeometry(conv.inputSize, conv.inChannels, conv.outChannels, conv),
      weights: kernel,
      bias,
    });
    return ops.length;
  };
  let x = convolve(plan.stem.conv, 0, InferenceFlag.Relu);
  const { maxPool } = plan.stem;
  if (maxPool) {
    const channels = plan.stem.conv.outChannels;
    ops.push({
      kind: OpKind.MaxPool,
      flags: 0,
      input: x,
      residual: -1,
      geometry: windowGeometry(plan.stem.conv.outputSize, channels, channels, maxPool),
      weights: null,
      bias: null,
    });
    x = ops.length;
  }
  for (const stage of plan.stages) {
    for (const block of stage.blocks) {
      const shortcut = block.shortcut ? convolve(block.shortcut, x, 0) : x;
      let y = x;
      for (const conv of block.convs.slice(0, -1)) y = convolve(conv, y, InferenceFlag.Relu);
      x = convolve(block.convs.at(-1)!, y, InferenceFlag.Residual | InferenceFlag.Relu, shortcut);
    }
  }
  return ops;
}

/**
 * A window's geometry as the addon takes it, batch 1 (replaced per run): what the oneDNN kernels compute for a
 * convolution of this size with PyTorch's symmetric padding (geometryOf), which holds for a max pool's window too.
 */
function windowGeometry(
  inputSize: number,
  inChannels: number,
  outChannels: number,
  window: { readonly kernelSize: number; readonly stride: number; readonly padding: number },
): Int32Array {
  const { kernelSize, stride, padding } = window;
  // Undefined only for NCHW or dilations, which this never asks for.
  return geometryOf([1, inputSize, inputSize, inChannels], [kernelSize, kernelSize, inChannels, outChannels], {
    strides: stride,
    pad: [
      [0, 0],
      [padding, padding],
      [padding, padding],
      [0, 0],
    ],
  })!;
}
