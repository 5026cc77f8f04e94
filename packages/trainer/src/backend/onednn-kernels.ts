// The wasm backend's heaviest training kernels computed natively by oneDNN, where its Node addon is built:
// convolutions in all three directions, and element-wise addition, multiplication and subtraction. For inference, a
// convolution with a bias and a ReLU (tf.fused.conv2d) is one oneDNN primitive, and the folded InferenceModel runs its
// whole network in one call (oneDnnNetworks, OneDnnInferenceNetwork).
// The same addon computes batch normalization in training (the kernels of @resnet-lab/resnet's
// batch-norm-training-kernels.ts), with its own threaded loops rather than oneDNN's (see onednn-kernels.cc), the
// SGD update of every parameter in one pass (SGD_STEP, sgd-step-kernel.ts), and ReLU forward and backward (RELU_GRAD,
// relu-grad-kernel.ts), each in one threaded pass.
//
// XNNPACK in wasm computes with 128-bit SIMD, and wasm's element-wise kernels are plain loops on one thread. On this
// project's AVX-512 machine oneDNN's JIT kernels run ResNet18's convolutions at 100-300 GFLOP/s against 17-46, and
// adds or multiplies a [128, 32, 32, 64] activation in 4-7 ms against 26-30. The addon (native/onednn-kernels.cc,
// built by `npm run build:native` when g++ and Debian's libdnnl-dev are installed) reads and writes the tensors where
// the wasm backend keeps them, on its heap, so no activation is copied. Everything else stays on wasm. Where the addon
// is not built, or RESNET_LAB_ONEDNN=0, wasm's own kernels run as before.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, type BatchNormTrainingAttrs } from '@resnet-lab/resnet';
import { composeWasmKernels } from './compose-wasm-kernels.js';
import { RESIDUAL_CONV2D, type ResidualConv2DAttrs } from './residual-conv2d.js';
import { RELU_GRAD, registerReluGradient, unregisterReluGradient } from './relu-grad-kernel.js';
import { SGD_STEP, type SgdStepAttrs } from './sgd-step-kernel.js';
import { heapFloats, wasmBackendOf, type WasmBackend } from './wasm-backend.js';
import { share } from './wasm-identity.js';

/** Set to 0 to keep wasm's own kernels even where the oneDNN addon is built. */
export const ONEDNN_VARIABLE = 'RESNET_LAB_ONEDNN';

/**
 * The convolutions' algorithm: `auto` (the default) takes Winograd's F(4x4, 3x3) for 3x3 stride-1 convolutions where
 * it is faster (about twice, for ResNet's at batch 32) and, in training, im2col and one matrix product for strided 3x3
 * ones with at most 64 output pixels an image; `direct` neither, `winograd` Winograd wherever oneDNN has it. See
 * ConvolutionAlgorithm and PrefersGemm in native/onednn-kernels.cc for what was measured, and what Winograd costs in
 * rounding.
 */
export const CONVOLUTION_VARIABLE = 'RESNET_LAB_CONVOLUTION';
export const CONVOLUTION_ALGORITHMS = ['direct', 'auto', 'winograd'] as const;
export type ConvolutionAlgorithm = (typeof CONVOLUTION_ALGORITHMS)[number];

/** RESNET_LAB_CONVOLUTION names no algorithm. */
export class ConvolutionAlgorithmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvolutionAlgorithmError';
  }
}

/** Spins of libgomp's threads before they sleep, where GOMP_SPINCOUNT does not say (see loadAddon). */
const OMP_SPIN_COUNT = 10_000;

/** Where `npm run build:native` puts the addon. */
export const ONEDNN_ADDON_PATH = fileURLToPath(new URL('../../build/native/onednn-kernels.node', import.meta.url));

interface OneDnnAddon {
  /**
   * Geometry as in `geometryOf`; `direction` says which of source, weights and destination is written. The tokens
   * (tokenOf, 0 for none) name the source, the weights and the destination where they are read, so that a copy the
   * addon reordered for one call serves a later one that reads the same tensor.
   */
  run(
    direction: Direction,
    geometry: Int32Array,
    source: Float32Array,
    weights: Float32Array,
    destination: Float32Array,
    sourceToken: number,
    weightsToken: number,
    destinationToken: number,
  ): void;
  /**
   * destination = conv(source, weights) + bias + residual, then ReLU, each part where `flags` (InferenceFlag) has it;
   * null for a left-out bias or residual. Forward inference only.
   */
  infer(
    geometry: Int32Array,
    flags: number,
    source: Float32Array,
    weights: Float32Array,
    bias: Float32Array | null,
    residual: Float32Array | null,
    destination: Float32Array,
  ): void;
  /**
   * `weights` ([kh, kw, in, out]) in the layout of infer's primitive for `geometry` and `flags` (which may pad them),
   * for infer with InferenceFlag.PackedWeights; null where that layout is [kh, kw, in, out]. Absent from addons built
   * before it.
   */
  packFilter?(geometry: Int32Array, flags: number, weights: Float32Array): Float32Array | null;
  /**
   * A whole network's inference as one native call (see createNetwork in native/onednn-kernels.cc): `ops` holds per
   * op its kind (0 a convolution, 1 a max pool), flags (InferenceFlag's bias, residual and ReLU), input value and
   * residual value (-1 for none); value 0 is the images and op i writes value i + 1. `geometries` holds each op's
   * geometry as `run` takes it (the batch ignored), `weights` and `biases` per op ([kh, kw, in, out] and [out]; null
   * for a max pool or no bias), then the head's linear layer ([channels, classes] and [classes]) after a global
   * average pool.
   */
  createNetwork(
    inputShape: Int32Array,
    ops: Int32Array,
    geometries: Int32Array,
    weights: (Float32Array | null)[],
    biases: (Float32Array | null)[],
    linearWeights: Float32Array,
    linearBias: Float32Array,
  ): OneDnnNetworkHandle;
  /** Writes the [batch, classes] logits of the [batch, height, width, channels] images. */
  runNetwork(network: OneDnnNetworkHandle, batch: number, images: Float32Array, logits: Float32Array): void;
  /** Frees a network's weights and buffers now (garbage collection frees them otherwise); it runs no more. */
  freeNetwork(network: OneDnnNetworkHandle): void;
  /** out = a (kind) b; `bDims` equal `aDims` or are 1 where b broadcasts; both of rank 4. */
  binary(
    kind: BinaryKind,
    aDims: Int32Array,
    a: Float32Array,
    bDims: Int32Array,
    b: Float32Array,
    out: Float32Array,
  ): void;
  /**
   * y = gamma * (x - mean) / sqrt(variance + epsilon) + beta over the batch's statistics, which it writes too (the
   * variance biased); `dims` [batch, height, width, channels] of the NHWC x and y, the rest [channels]. Where `relu`,
   * y is then ReLU'd as `relu` computes it, in the same pass.
   */
  batchNormForward(
    dims: Int32Array,
    epsilon: number,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    relu: boolean,
  ): void;
  /** batchNormForward's gradients with respect to x, gamma and beta, from the statistics it wrote. */
  batchNormBackward(
    dims: Int32Array,
    epsilon: number,
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
    dGamma: Float32Array,
    dBeta: Float32Array,
  ): void;
  /**
   * SGD_STEP's update of each parameter i into newParameters[i] and, where momentum > 0, newBuffers[i]; buffers[i]
   * null on a parameter's first step and without momentum, newBuffers[i] null without momentum.
   */
  sgdStep(
    learningRate: number,
    momentum: number,
    weightDecay: number,
    nesterov: boolean,
    parameters: Float32Array[],
    gradients: Float32Array[],
    buffers: (Float32Array | null)[],
    newParameters: Float32Array[],
    newBuffers: (Float32Array | null)[],
  ): void;
  /** y = relu(x) as tfjs's cpu kernel computes it (0 for -0, NaN for NaN); x and y of one length. */
  relu(x: Float32Array, y: Float32Array): void;
  /** dx = dy * step(x), RELU_GRAD; all three of one length. */
  reluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  /** Index in CONVOLUTION_ALGORITHMS; drops the cached convolutions, whose layouts may change. */
  setConvolutionAlgorithm(algorithm: number): void;
  /** oneDNN's name for the kernel computing a convolution: `kind` a Direction, or 3 for inference. */
  convolutionImplementation(kind: number, geometry: Int32Array): string;
  /** How many primitives the addon keeps, of each kind, and the most it keeps of each. */
  cachedPrimitives(): OneDnnCachedPrimitives;
  /** Drops the copies staged under `token` (tokenOf), whose tensor is gone. */
  releaseStaged(token: number): void;
  version(): string;
}

/** What createNetwork returns: a native network, opaque to JavaScript. */
export type OneDnnNetworkHandle = { readonly __brand: 'OneDnnNetworkHandle' };

/** The addon's whole-network inference (createNetwork, runNetwork, freeNetwork). */
export type OneDnnNetworks = Pick<OneDnnAddon, 'createNetwork' | 'runNetwork' | 'freeNetwork'>;

export interface OneDnnCachedPrimitives {
  readonly convolutions: number;
  readonly binaries: number;
  readonly capacity: number;
  /** Winograd's inputs kept reordered for a later call that reads them (StagedTensors in the addon). */
  readonly stagedTensors: number;
  /** The most staged tensors kept (the bytes are bounded too, at 256 MB). */
  readonly stagedCapacity: number;
  /** Their bytes, and how many reads found their input staged. */
  readonly stagedBytes: number;
  readonly stagedHits: number;
  /** Copies given new memory; the others took the memory of a dropped copy (disposed or evicted) of their size. */
  readonly stagedAllocations: number;
}

const enum BinaryKind {
  Add = 0,
  Multiply = 1,
  Subtract = 2,
}

/**
 * Below this many elements an element-wise operation stays on wasm: a call into the addon costs a few microseconds,
 * and the optimizer's per-weight arithmetic would fill the addon's primitive cache with one entry per weight shape.
 */
const MIN_NATIVE_ELEMENTS = 1 << 14;

/** Bits of `infer`'s flags (and of createNetwork's ops): what is added to the convolution's output, in this order. */
export const enum InferenceFlag {
  Bias = 1,
  Residual = 2,
  Relu = 4,
  /** The weights are packFilter's output: infer skips reordering them. */
  PackedWeights = 8,
}

const enum Direction {
  Forward = 0,
  InputGradient = 1,
  FilterGradient = 2,
}

export type OneDnnStatus =
  { readonly active: true; readonly version: string } | { readonly active: false; readonly reason: string };

export type Shape4D = [number, number, number, number];

let addon: OneDnnAddon | undefined;
let loadFailure: string | undefined;
/** The addon's convolution algorithm, part of every packed filter's key (packed layouts follow it). */
let convolutionAlgorithm: ConvolutionAlgorithm = 'auto';

/**
 * Loads the addon (once) unless RESNET_LAB_ONEDNN=0 and, when it loads, routes the wasm backend's convolution and
 * element-wise kernels through it. Says whether oneDNN now computes them, and why not where it does not.
 */
export function useOneDnnKernels(env: NodeJS.ProcessEnv = process.env): OneDnnStatus {
  if (env[ONEDNN_VARIABLE] === '0') {
    unregisterOneDnnKernels();
    return { active: false, reason: `${ONEDNN_VARIABLE}=0` };
  }
  const algorithm = env[CONVOLUTION_VARIABLE] || 'auto';
  if (!(CONVOLUTION_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new ConvolutionAlgorithmError(
      `${CONVOLUTION_VARIABLE} must be one of ${CONVOLUTION_ALGORITHMS.join(', ')}, got '${algorithm}'.`,
    );
  }
  const loaded = loadAddon();
  if (loaded === undefined) return { active: false, reason: loadFailure! };
  convolutionAlgorithm = algorithm as ConvolutionAlgorithm;
  loaded.setConvolutionAlgorithm(CONVOLUTION_ALGORITHMS.indexOf(convolutionAlgorithm));
  registerOneDnnKernels(loaded);
  return { active: true, version: loaded.version() };
}

function loadAddon(): OneDnnAddon | undefined {
  if (addon !== undefined || loadFailure !== undefined) return addon;
  // libgomp's threads sleep as soon as a parallel region ends (PASSIVE) instead of spinning first (its default). Alone
  // on the machine, spinning is a little faster (ResNet18 at batch 32, two alternating pairs of runs: training 59.3
  // and 55.4 images/s against 56.6 and 54.3, inference 248 and 259 against 229 and 230); but with other processes on
  // the cores (the API's workers, parallel test files) the spinning threads take the time that wasm's threads and the
  // other processes need: train.test.ts's first test beside two busy loops took 15 s with PASSIVE and over 60 without.
  process.env['OMP_WAIT_POLICY'] ??= 'PASSIVE';
  // ...after a short spin, though (libgomp's count, which takes precedence over the policy's none): long enough that
  // the second thread is still awake for the next parallel region of a whole network run in one call (a prediction's
  // ResNet18 at batch 1, 2026-12-02, two alternated runs: 6.0 and 6.2 ms a forward pass with no spin, 3.9 and 4.1
  // at 1,000, 3.7 and 3.6 at 10,000), and far short of the default's 300,000, which slowed everything beside it.
  // Training at batch 32 alone: 74.3 and 75.1 images/s with no spin, 76.4 and 79.8 at 10,000; beside two busy
  // loops, 41.7 and 31.8 against 36.1 and 34.4. libgomp reads both when the addon loads it.
  process.env['GOMP_SPINCOUNT'] ??= String(OMP_SPIN_COUNT);
  try {
    const loaded = createRequire(import.meta.url)(ONEDNN_ADDON_PATH) as Partial<OneDnnAddon>;
    const missing = (
      [
        'run',
        'infer',
        'createNetwork',
        'runNetwork',
        'freeNetwork',
        'binary',
        'batchNormForward',
        'batchNormBackward',
        'sgdStep',
        'relu',
        'reluGrad',
        'setConvolutionAlgorithm',
        'convolutionImplementation',
        'cachedPrimitives',
        'releaseStaged',
        'version',
      ] as const
    ).filter((name) => typeof loaded[name] !== 'function');
    if (missing.length > 0) {
      loadFailure = `the oneDNN addon is out of date: it lacks ${missing.join(', ')} (run npm run build:native)`;
      return undefined;
    }
    addon = loaded as OneDnnAddon;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    loadFailure =
      (error as { code?: string }).code === 'MODULE_NOT_FOUND'
        ? 'the oneDNN addon is not built (install g++ and libdnnl-dev, then run npm run build:native)'
        : `the oneDNN addon did not load (${message})`;
  }
  return addon;
}

/**
 * oneDNN's name for the kernel that computes a convolution of this geometry (as `run` takes it) in `kind`, e.g.
 * "jit_wino_4x3:avx512_core" or "brgconv:avx512_core"; undefined where the addon is not loaded.
 */
export function oneDnnConvolutionImplementation(
  kind: 'forward' | 'inputGradient' | 'filterGradient' | 'inference',
  geometry: readonly number[],
): string | undefined {
  const kinds = {
    forward: Direction.Forward,
    inputGradient: Direction.InputGradient,
    filterGradient: Direction.FilterGradient,
    inference: 3,
  };
  return addon?.convolutionImplementation(kinds[kind], Int32Array.from(geometry));
}

/**
 * The addon's whole-network inference where oneDNN computes the wasm backend's kernels and wasm is the backend in use;
 * undefined elsewhere, where tfjs's kernels run inference.
 */
export function oneDnnNetworks(): OneDnnNetworks | undefined {
  return replaced.size > 0 && tf.getBackend() === 'wasm' ? addon : undefined;
}

/** The addon's primitive caches (for diagnostics), or undefined where it is not loaded. */
export function oneDnnCachedPrimitives(): OneDnnCachedPrimitives | undefined {
  return addon?.cachedPrimitives();
}

/** Each kernel this module replaces, with the kernel it replaced, which still runs what oneDNN is not given. */
const replaced = new Map<string, tf.KernelConfig>();

function registerOneDnnKernels(oneDnn: OneDnnAddon): void {
  const kernels: Record<string, (args: KernelArgs, fallback: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[]> = {
    Conv2D: (args, fallback) => forward(oneDnn, args, fallback),
    FusedConv2D: (args, fallback) => fusedForward(oneDnn, args, fallback),
    Conv2DBackpropInput: (args, fallback) => inputGradient(oneDnn, args, fallback),
    Conv2DBackpropFilter: (args, fallback) => filterGradient(oneDnn, args, fallback),
    Add: (args, fallback) => binary(oneDnn, BinaryKind.Add, args, fallback),
    Multiply: (args, fallback) => binary(oneDnn, BinaryKind.Multiply, args, fallback),
    Sub: (args, fallback) => binary(oneDnn, BinaryKind.Subtract, args, fallback),
    Relu: (args, fallback) => relu(oneDnn, args, fallback),
  };
  for (const [kernelName, kernel] of Object.entries(kernels)) {
    const current = tf.getKernel(kernelName, 'wasm') as tf.KernelConfig | undefined;
    if (current === undefined) {
      throw new Error(
        `Expected a wasm '${kernelName}' kernel for oneDNN to stand in for: load the wasm backend first.`,
      );
    }
    if (isOneDnnKernel(current)) continue;
    const fallback = current.kernelFunc;
    const kernelFunc: tf.KernelFunc = (args) => kernel(args as KernelArgs, fallback);
    oneDnnKernelFuncs.add(kernelFunc);
    replaced.set(kernelName, current);
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...current, kernelFunc });
  }
  // Kernels of the project's own ops, which compose wasm's kernels where these are not registered.
  const ownKernels: Record<string, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]> = {
    [RESIDUAL_CONV2D]: (args) => residualForward(oneDnn, args),
    [BATCH_NORM_TRAINING]: (args) => batchNormForward(oneDnn, args),
    [BATCH_NORM_TRAINING_GRAD]: (args) => batchNormBackward(oneDnn, args),
    [SGD_STEP]: (args) => sgdStep(oneDnn, args),
    [RELU_GRAD]: (args) => reluGrad(oneDnn, args),
  };
  for (const [kernelName, kernel] of Object.entries(ownKernels)) {
    if ((tf.getKernel(kernelName, 'wasm') as tf.KernelConfig | undefined) === undefined) {
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: (args) => kernel(args as KernelArgs) });
    }
  }
  registerReluGradient();
}

/** Puts back the kernels oneDNN stood in for. */
export function unregisterOneDnnKernels(): void {
  for (const [kernelName, original] of replaced) {
    const current = tf.getKernel(kernelName, 'wasm') as tf.KernelConfig | undefined;
    if (current !== undefined && isOneDnnKernel(current)) {
      tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel(original);
    }
  }
  replaced.clear();
  // Without oneDNN the ops compose wasm's kernels themselves (residualConv2d, ResNetBatchNormalization).
  for (const kernelName of [RESIDUAL_CONV2D, BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, SGD_STEP, RELU_GRAD]) {
    if ((tf.getKernel(kernelName, 'wasm') as tf.KernelConfig | undefined) !== undefined) {
      tf.unregisterKernel(kernelName, 'wasm');
    }
  }
  unregisterReluGradient();
}

const oneDnnKernelFuncs = new WeakSet<tf.KernelFunc>();

function isOneDnnKernel(kernel: tf.KernelConfig): boolean {
  return oneDnnKernelFuncs.has(kernel.kernelFunc);
}

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs: tf.NamedAttrMap;
}

export interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * [batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight,
 * strideWidth, padTop, padLeft, padBottom, padRight], or undefined for what oneDNN is not given: NCHW, dilations.
 *
 * oneDNN wants out = (in + padBefore + padAfter - filter) / stride + 1 exactly. tfjs's padding can differ from that
 * at the far end ('ceil' rounding reads past it; a strided 'valid' window may leave the last rows unread), so the far
 * padding is the one that makes the windows end where tfjs's do, negative where rows are left unread (oneDNN takes
 * that): the same zeros and the same values are read.
 */
export function geometryOf(xShape: Shape4D, filterShape: Shape4D, attrs: ConvAttrs): Int32Array | undefined {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') return undefined;
  if (attrs.dilations !== undefined && !tf.backend_util.tupleValuesAreOne(attrs.dilations)) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { padInfo } = info;
  const padBottom = (info.outHeight - 1) * info.strideHeight + info.filterHeight - info.inHeight - padInfo.top;
  const padRight = (info.outWidth - 1) * info.strideWidth + info.filterWidth - info.inWidth - padInfo.left;
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    padInfo.top,
    padInfo.left,
    padBottom,
    padRight,
  ]);
}

function outputShapeOf(geometry: Int32Array): Shape4D {
  return [geometry[0]!, geometry[4]!, geometry[5]!, geometry[6]!];
}

function forward(oneDnn: OneDnnAddon, args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const geometry = geometryOf(x.shape as Shape4D, filter.shape as Shape4D, args.attrs as unknown as ConvAttrs);
  if (geometry === undefined) return fallback(args) as tf.TensorInfo;
  const backend = wasmBackendOf(args.backend);
  releaseStagedOnDispose(oneDnn, backend);
  const y = backend.makeOutput(outputShapeOf(geometry), 'float32');
  // Views are taken after the output is allocated: an allocation may grow the heap and detach earlier views.
  oneDnn.run(
    Direction.Forward,
    geometry,
    heapFloats(backend, x),
    heapFloats(backend, filter),
    heapFloats(backend, y),
    tokenOf(x),
    tokenOf(filter),
    0,
  );
  return y;
}

/**
 * tf.fused.conv2d: without a bias or an activation, the training's forward convolution; with a per-channel bias
 * and/or a ReLU, one inference primitive with them as post-ops. Other activations, PReLU weights and a bias of
 * another shape (tfjs broadcasts any) are left to wasm's fused kernel.
 */
function fusedForward(oneDnn: OneDnnAddon, args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo {
  const { x, filter, bias, preluActivationWeights } = args.inputs as {
    x: tf.TensorInfo;
    filter: tf.TensorInfo;
    bias?: tf.TensorInfo | null;
    preluActivationWeights?: tf.TensorInfo | null;
  };
  const activation = (args.attrs as { activation?: string }).activation ?? 'linear';
  if ((preluActivationWeights ?? null) !== null || (activation !== 'linear' && activation !== 'relu')) {
    return fallback(args) as tf.TensorInfo;
  }
  const channelBias = bias ?? null;
  if (channelBias === null && activation === 'linear') return forward(oneDnn, args, fallback);
  const outChannels = filter.shape[3]!;
  if (
    channelBias !== null &&
    (channelBias.dtype !== 'float32' || !tf.util.arraysEqual(channelBias.shape, [outChannels]))
  ) {
    return fallback(args) as tf.TensorInfo;
  }
  const geometry = geometryOf(x.shape as Shape4D, filter.shape as Shape4D, args.attrs as unknown as ConvAttrs);
  if (geometry === undefined) return fallback(args) as tf.TensorInfo;
  const backend = wasmBackendOf(args.backend);
  const y = backend.makeOutput(outputShapeOf(geometry), 'float32');
  const flags = (channelBias !== null ? InferenceFlag.Bias : 0) | (activation === 'relu' ? InferenceFlag.Relu : 0);
  const weights = inferenceWeights(oneDnn, backend, filter, geometry, flags);
  oneDnn.infer(
    geometry,
    weights.flags,
    heapFloats(backend, x),
    weights.weights ?? heapFloats(backend, filter),
    channelBias !== null ? heapFloats(backend, channelBias) : null,
    null,
    heapFloats(backend, y),
  );
  return y;
}

/** residualConv2d: relu(conv2d(x, filter) + bias + residual) as one primitive, the sum and ReLU as post-ops. */
function residualForward(oneDnn: OneDnnAddon, args: KernelArgs): tf.TensorInfo {
  const { x, filter, bias, residual } = args.inputs as Record<'x' | 'filter' | 'bias' | 'residual', tf.TensorInfo>;
  const attrs = args.attrs as unknown as ResidualConv2DAttrs;
  const geometry = geometryOf(x.shape as Shape4D, filter.shape as Shape4D, attrs);
  const outShape = geometry && outputShapeOf(geometry);
  if (geometry === undefined || !tf.util.arraysEqual(residual.shape, outShape!)) {
    return composeWasmKernels(args.backend, (run) => {
      const convolved = run(
        'FusedConv2D',
        { x, filter, bias },
        { ...attrs, dataFormat: 'NHWC', dilations: 1, activation: 'linear' },
      );
      return run('Relu', { x: run('Add', { a: convolved, b: residual }) });
    });
  }
  const backend = wasmBackendOf(args.backend);
  const y = backend.makeOutput(outShape!, 'float32');
  const weights = inferenceWeights(
    oneDnn,
    backend,
    filter,
    geometry,
    InferenceFlag.Bias | InferenceFlag.Residual | InferenceFlag.Relu,
  );
  oneDnn.infer(
    geometry,
    weights.flags,
    heapFloats(backend, x),
    weights.weights ?? heapFloats(backend, filter),
    heapFloats(backend, bias),
    heapFloats(backend, residual),
    heapFloats(backend, y),
  );
  return y;
}

/**
 * Inference filters already in the layout of infer's primitive, by filter (its tfjs dataId) and then by geometry and
 * flags (null: that layout is the filter's own). Inference runs the same constant filters again and again, and at
 * batch 1 reordering them on every call took longer than the convolutions (ResNet18, 32x32: 12 of 20 ms). A dataId
 * belongs to one tensor, whose values never change, and the WeakMap lets an entry go with it; the packed copies live
 * on the JavaScript heap, as much again as the filters for each geometry.
 */
const packedFilters = new WeakMap<tf.DataId, Map<string, Float32Array | null>>();
/** Geometries (batch sizes, mostly) packed per filter: evaluation's batch, its last partial one, prediction's. */
const PACKED_GEOMETRIES_PER_FILTER = 4;
let filterPackings = 0;

/** How many times an inference filter was packed for a geometry (not found packed), for diagnostics and tests. */
export function oneDnnFilterPackings(): number {
  return filterPackings;
}

/** infer's weights and flags for `filter`: its packed copy (made on first use) where the addon packs. */
function inferenceWeights(
  oneDnn: OneDnnAddon,
  backend: WasmBackend,
  filter: tf.TensorInfo,
  geometry: Int32Array,
  flags: number,
): { readonly weights: Float32Array | null; readonly flags: number } {
  if (oneDnn.packFilter === undefined) return { weights: null, flags };
  let byGeometry = packedFilters.get(filter.dataId);
  if (byGeometry === undefined) packedFilters.set(filter.dataId, (byGeometry = new Map<string, Float32Array | null>()));
  const key = `${convolutionAlgorithm}/${geometry.join(',')}/${flags}`;
  let packed = byGeometry.get(key);
  if (packed === undefined) {
    packed = oneDnn.packFilter(geometry, flags, heapFloats(backend, filter));
    filterPackings++;
    byGeometry.set(key, packed);
    if (byGeometry.size > PACKED_GEOMETRIES_PER_FILTER) byGeometry.delete(byGeometry.keys().next().value!);
  }
  return packed === null ? { weights: null, flags } : { weights: packed, flags: flags | InferenceFlag.PackedWeights };
}

/** BATCH_NORM_TRAINING: [y, mean, variance] for an NHWC float32 x. */
function batchNormForward(oneDnn: OneDnnAddon, args: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = args.inputs as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
  const { epsilon, relu = false } = args.attrs as unknown as BatchNormTrainingAttrs;
  const dims = batchNormDims(x, [gamma, beta]);
  const backend = wasmBackendOf(args.backend);
  const channels = [dims[3]!];
  const [y, mean, variance] = [
    backend.makeOutput([...x.shape], 'float32'),
    backend.makeOutput(channels, 'float32'),
    backend.makeOutput(channels, 'float32'),
  ];
  oneDnn.batchNormForward(
    dims,
    epsilon,
    heapFloats(backend, x),
    heapFloats(backend, gamma),
    heapFloats(backend, beta),
    heapFloats(backend, y),
    heapFloats(backend, mean),
    heapFloats(backend, variance),
    relu,
  );
  if (relu) reluOutputs.add(y.dataId);
  return [y, mean, variance];
}

/** BATCH_NORM_TRAINING_GRAD: [dx, dGamma, dBeta]. */
function batchNormBackward(oneDnn: OneDnnAddon, args: KernelArgs): tf.TensorInfo[] {
  const { dy, x, gamma, mean, variance } = args.inputs as Record<
    'dy' | 'x' | 'gamma' | 'mean' | 'variance',
    tf.TensorInfo
  >;
  const { epsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
  const dims = batchNormDims(x, [gamma, mean, variance]);
  if (!tf.util.arraysEqual(dy.shape, x.shape) || dy.dtype !== 'float32') {
    throw new Error(
      `Expected dy of x's shape [${x.shape.join(', ')}] in float32, got [${dy.shape.join(', ')}] ${dy.dtype}.`,
    );
  }
  const backend = wasmBackendOf(args.backend);
  const channels = [dims[3]!];
  const [dx, dGamma, dBeta] = [
    backend.makeOutput([...x.shape], 'float32'),
    backend.makeOutput(channels, 'float32'),
    backend.makeOutput(channels, 'float32'),
  ];
  oneDnn.batchNormBackward(
    dims,
    epsilon,
    heapFloats(backend, x),
    heapFloats(backend, gamma),
    heapFloats(backend, mean),
    heapFloats(backend, variance),
    heapFloats(backend, dy),
    heapFloats(backend, dx),
    heapFloats(backend, dGamma),
    heapFloats(backend, dBeta),
  );
  return [dx, dGamma, dBeta];
}

/** SGD_STEP: each parameter's update, then its momentum buffer's where momentum > 0. */
function sgdStep(oneDnn: OneDnnAddon, args: KernelArgs): tf.TensorInfo[] {
  const { parameters: count, learningRate, momentum, weightDecay, nesterov } = args.attrs as unknown as SgdStepAttrs;
  const inputs = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const withMomentum = momentum > 0;
  const parameters: tf.TensorInfo[] = [];
  const gradients: tf.TensorInfo[] = [];
  const buffers: (tf.TensorInfo | undefined)[] = [];
  for (let i = 0; i < count; i++) {
    const [parameter, gradient, buffer] = [inputs[`parameter${i}`], inputs[`gradient${i}`], inputs[`buffer${i}`]];
    if (parameter?.dtype !== 'float32') {
      throw new Error(`Expected a float32 input parameter${i} of ${count} parameters, got ${parameter?.dtype}.`);
    }
    for (const [name, tensor] of [
      ['gradient', gradient],
      ['buffer', withMomentum ? buffer : undefined],
    ] as const) {
      if (name === 'gradient' || tensor !== undefined) {
        if (tensor?.dtype !== 'float32' || !tf.util.arraysEqual(tensor.shape, parameter.shape)) {
          throw new Error(
            `Expected ${name}${i} of parameter${i}'s shape [${parameter.shape.join(', ')}] in float32, got ` +
              `${tensor === undefined ? 'none' : `[${tensor.shape.join(', ')}] ${tensor.dtype}`}.`,
          );
        }
      }
    }
    parameters.push(parameter);
    gradients.push(gradient!);
    buffers.push(withMomentum ? buffer : undefined);
  }
  const backend = wasmBackendOf(args.backend);
  const outputs = parameters.map((parameter) => ({
    parameter: backend.makeOutput([...parameter.shape], 'float32'),
    buffer: withMomentum ? backend.makeOutput([...parameter.shape], 'float32') : undefined,
  }));
  // Views only after every output is allocated: an allocation may grow the heap and detach earlier views.
  const view = (info: tf.TensorInfo | undefined) => (info === undefined ? null : heapFloats(backend, info));
  oneDnn.sgdStep(
    learningRate,
    momentum,
    weightDecay,
    nesterov,
    parameters.map((parameter) => heapFloats(backend, parameter)),
    gradients.map((gradient) => heapFloats(backend, gradient)),
    buffers.map(view),
    outputs.map((output) => heapFloats(backend, output.parameter)),
    outputs.map((output) => view(output.buffer)),
  );
  return outputs.flatMap((output) =>
    output.buffer === undefined ? [output.parameter] : [output.parameter, output.buffer],
  );
}

/** x's [batch, height, width, channels], after checking that x is NHWC float32 and each of `perChannel` [channels]. */
function batchNormDims(x: tf.TensorInfo, perChannel: readonly tf.TensorInfo[]): Int32Array {
  if (x.shape.length !== 4 || x.dtype !== 'float32') {
    throw new Error(`Expected a float32 x of rank 4 for batch normalization, got [${x.shape.join(', ')}] ${x.dtype}.`);
  }
  const channels = x.shape[3]!;
  for (const tensor of perChannel) {
    if (tensor.dtype !== 'float32' || !tf.util.arraysEqual(tensor.shape, [channels])) {
      throw new Error(
        `Expected float32 per-channel values of shape [${channels}] for batch normalization, got [${tensor.shape.join(', ')}] ${tensor.dtype}.`,
      );
    }
  }
  return Int32Array.from(x.shape);
}

function inputGradient(oneDnn: OneDnnAddon, args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: Shape4D };
  const geometry = geometryOf(attrs.inputShape, filter.shape as Shape4D, attrs);
  if (geometry === undefined) return fallback(args) as tf.TensorInfo;
  const backend = wasmBackendOf(args.backend);
  releaseStagedOnDispose(oneDnn, backend);
  const dx = backend.makeOutput([...attrs.inputShape], 'float32');
  oneDnn.run(
    Direction.InputGradient,
    geometry,
    heapFloats(backend, dx),
    heapFloats(backend, filter),
    heapFloats(backend, dy),
    0,
    tokenOf(filter),
    tokenOf(dy),
  );
  return dx;
}

function filterGradient(oneDnn: OneDnnAddon, args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: Shape4D };
  const geometry = geometryOf(x.shape as Shape4D, attrs.filterShape, attrs);
  if (geometry === undefined) return fallback(args) as tf.TensorInfo;
  const backend = wasmBackendOf(args.backend);
  releaseStagedOnDispose(oneDnn, backend);
  const dFilter = backend.makeOutput([...attrs.filterShape], 'float32');
  oneDnn.run(
    Direction.FilterGradient,
    geometry,
    heapFloats(backend, x),
    heapFloats(backend, dFilter),
    heapFloats(backend, dy),
    tokenOf(x),
    0,
    tokenOf(dy),
  );
  return dFilter;
}

/**
 * a (kind) b for float32 tensors of rank 4 or less with at least MIN_NATIVE_ELEMENTS elements. oneDNN broadcasts its
 * second operand only, so the full-shaped one goes first: for a broadcast first operand of an addition or a
 * multiplication the two swap, and a subtraction with one stays on wasm.
 */
function binary(oneDnn: OneDnnAddon, kind: BinaryKind, args: KernelArgs, fallback: tf.KernelFunc) {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  if (outShape.length > 4 || tf.util.sizeFromShape(outShape) < MIN_NATIVE_ELEMENTS) return fallback(args);
  let [full, other] = [a, b];
  if (!tf.util.arraysEqual(a.shape, outShape)) {
    if (kind === BinaryKind.Subtract || !tf.util.arraysEqual(b.shape, outShape)) return fallback(args);
    [full, other] = [b, a];
  }
  const backend = wasmBackendOf(args.backend);
  const out = backend.makeOutput(outShape, 'float32');
  oneDnn.binary(
    kind,
    rank4(full.shape),
    heapFloats(backend, full),
    rank4(other.shape),
    heapFloats(backend, other),
    heapFloats(backend, out),
  );
  return out;
}

/**
 * The data of batch-norm outputs that BATCH_NORM_TRAINING ReLU'd itself (attrs.relu): a ReLU of them is themselves,
 * so the Relu kernel hands back the same data instead of computing it again (ResNet18 at batch 32: 9 of its 17 ReLUs,
 * about 5 ms a training step). Only the forward pass: ReLU's gradient still masks dy by x > 0.
 */
const reluOutputs = new WeakSet<tf.DataId>();

/**
 * relu(x): the same data where x is a ReLU'd batch-norm output (reluOutputs), else computed for a float32 x of at
 * least MIN_NATIVE_ELEMENTS elements, like `binary`; others stay on wasm.
 */
function relu(oneDnn: OneDnnAddon, args: KernelArgs, fallback: tf.KernelFunc) {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const backend = wasmBackendOf(args.backend);
  if (reluOutputs.has(x.dataId)) return share(x, backend);
  if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) < MIN_NATIVE_ELEMENTS) return fallback(args);
  const y = backend.makeOutput([...x.shape], 'float32');
  oneDnn.relu(heapFloats(backend, x), heapFloats(backend, y));
  return y;
}

/** RELU_GRAD: dx = dy * step(x) for float32 dy and x of one shape, natively at any size (no primitive is cached). */
function reluGrad(oneDnn: OneDnnAddon, args: KernelArgs): tf.TensorInfo {
  const { dy, x } = args.inputs as Record<'dy' | 'x', tf.TensorInfo>;
  if (dy.dtype !== 'float32' || x.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, x.shape)) {
    throw new Error(
      `Expected float32 dy and x of one shape for ReLU's gradient, got dy [${dy.shape.join(', ')}] ${dy.dtype} and ` +
        `x [${x.shape.join(', ')}] ${x.dtype}.`,
    );
  }
  const backend = wasmBackendOf(args.backend);
  const dx = backend.makeOutput([...x.shape], 'float32');
  oneDnn.reluGrad(heapFloats(backend, dy), heapFloats(backend, x), heapFloats(backend, dx));
  return dx;
}

/** The shape with leading 1s up to rank 4, as broadcasting aligns shapes on their last axis. */
function rank4(shape: readonly number[]): Int32Array {
  return Int32Array.from([...new Array<number>(4 - shape.length).fill(1), ...shape]);
}

/**
 * A number per tensor, by its dataId, for the addon's staged copies (StagedTensors in onednn-kernels.cc): a tensor's
 * values never change, and a dataId belongs to one tensor, so one token always names the same values.
 */
const tokens = new WeakMap<tf.DataId, number>();
let lastToken = 0;

function tokenOf(info: tf.TensorInfo): number {
  let token = tokens.get(info.dataId);
  if (token === undefined) tokens.set(info.dataId, (token = ++lastToken));
  return token;
}

/** Backends whose disposeData releases the addon's staged copies (releaseStagedOnDispose). */
const releasingBackends = new WeakSet<WasmBackend>();

/**
 * Makes `backend` drop the addon's staged copies of a tensor when it frees the tensor's memory: no call reads them
 * again, and their memory then serves the next step's copies (ResNet18 at batch 32 stages about 143 MB a step, where
 * the cache would otherwise fill its 256 MB with the copies of past steps first). Without it the cache drops them
 * as it fills, least recently used first, as before.
 */
function releaseStagedOnDispose(oneDnn: OneDnnAddon, backend: WasmBackend): void {
  if (releasingBackends.has(backend)) return;
  releasingBackends.add(backend);
  const disposeData = backend.disposeData.bind(backend);
  backend.disposeData = (dataId, force) => {
    const freed = disposeData(dataId, force);
    const token = freed ? tokens.get(dataId) : undefined;
    if (token !== undefined) {
      tokens.delete(dataId);
      oneDnn.releaseStaged(token);
    }
    return freed;
  };
}
