// A built ResNet's weights as the PyTorch reference's state_dict and back: the same keys (pytorchStateDictKey),
// PyTorch's layouts, batch-norm running statistics included. Pure data movement on the weights' float32 values,
// so that a round trip through PyTorch is bitwise exact.
import * as tf from '@tensorflow/tfjs';
import { pytorchStateDictKey } from './pytorch-names.js';
import { elementCount, formatShape, type SafetensorsTensor } from './safetensors.js';

/** PyTorch's BatchNorm2d buffer that counts training batches; used only when momentum is None, so never here. */
export const NUM_BATCHES_TRACKED = 'num_batches_tracked';

export interface ExportStateDictOptions {
  /** Written as every batch norm's `num_batches_tracked`. Default 0. */
  readonly numBatchesTracked?: number | undefined;
}

export interface LoadStateDictOptions {
  /** How errors name the model, e.g. `resnet18 (cifar stem, width 1, 10 classes)`. Default: the model's name. */
  readonly modelDescription?: string | undefined;
}

/** A state dict that does not fit the model; names the first key that differs and both shapes. */
export class StateDictMismatchError extends Error {
  constructor(
    /** The first mismatching key, in the model's layer order. */
    readonly key: string,
    /** The model's shape for `key`, PyTorch layout; null when the model has no such key. */
    readonly expectedShape: readonly number[] | null,
    /** The file's shape for `key`; null when the file lacks it. */
    readonly actualShape: readonly number[] | null,
    message: string,
  ) {
    super(message);
    this.name = 'StateDictMismatchError';
  }
}

/**
 * Every tensor of PyTorch's `model.state_dict()` for `model`, float32 in PyTorch's layouts (convolution weights
 * [out, in, kh, kw], linear weight [out, in]), plus each batch norm's `num_batches_tracked` (int64 scalar).
 */
export function exportStateDict(
  model: tf.LayersModel,
  options: ExportStateDictOptions = {},
): Map<string, SafetensorsTensor> {
  const stateDict = new Map<string, SafetensorsTensor>();
  for (const weight of model.weights) {
    const values = weight.read().dataSync() as Float32Array;
    const shape = weight.shape as number[];
    const torch = toPytorchLayout(values, shape);
    stateDict.set(pytorchStateDictKey(weight.originalName), {
      dtype: 'F32',
      shape: torch.shape,
      data: new Uint8Array(torch.values.buffer, torch.values.byteOffset, torch.values.byteLength),
    });
    if (weight.originalName.endsWith('/moving_variance')) {
      const layer = weight.originalName.slice(0, weight.originalName.lastIndexOf('/'));
      const count = new BigInt64Array([BigInt(options.numBatchesTracked ?? 0)]);
      stateDict.set(`${layer}.${NUM_BATCHES_TRACKED}`, { dtype: 'I64', shape: [], data: new Uint8Array(count.buffer) });
    }
  }
  return stateDict;
}

/**
 * Copies a PyTorch state dict into `model`'s weights, transposing layouts; `num_batches_tracked` is ignored.
 * Floating-point tensors of any width are accepted and stored as float32. Checks every key and shape before writing
 * anything, and throws StateDictMismatchError for the first key (in layer order) that is missing, has another shape or
 * is not floating point; then for the first key the model does not have.
 */
export function loadStateDict(
  model: tf.LayersModel,
  stateDict: ReadonlyMap<string, SafetensorsTensor>,
  options: LoadStateDictOptions = {},
): void {
  const description = options.modelDescription ?? model.name;
  const planned = model.weights.map((weight) => {
    const key = pytorchStateDictKey(weight.originalName);
    const expectedShape = pytorchShape(weight.shape as number[]);
    const tensor = stateDict.get(key);
    if (tensor === undefined) {
      throw new StateDictMismatchError(
        key,
        expectedShape,
        null,
        `The state dict has no '${key}', which ${description} needs with shape ${formatShape(expectedShape)}.`,
      );
    }
    if (!sameShape(tensor.shape, expectedShape)) {
      throw new StateDictMismatchError(
        key,
        expectedShape,
        tensor.shape,
        `'${key}' has shape ${formatShape(tensor.shape)} in the state dict; ${description} expects ${formatShape(expectedShape)}.`,
      );
    }
    if (!FLOAT_DTYPES.has(tensor.dtype)) {
      throw new StateDictMismatchError(
        key,
        expectedShape,
        tensor.shape,
        `'${key}' has dtype ${tensor.dtype}; expected a floating-point tensor (F32, F64, F16 or BF16).`,
      );
    }
    return { weight, tensor };
  });
  const known = new Set(planned.map(({ weight }) => pytorchStateDictKey(weight.originalName)));
  for (const [key, tensor] of stateDict) {
    if (known.has(key) || key.endsWith(`.${NUM_BATCHES_TRACKED}`)) continue;
    throw new StateDictMismatchError(
      key,
      null,
      tensor.shape,
      `The state dict has '${key}' (shape ${formatShape(tensor.shape)}), which ${description} does not have.`,
    );
  }
  for (const { weight, tensor } of planned) {
    const shape = weight.shape as number[];
    const values = fromPytorchLayout(toFloat32(tensor), shape);
    const value = tf.tensor(values, shape, 'float32');
    weight.write(value);
    value.dispose();
  }
}

const FLOAT_DTYPES = new Set<SafetensorsTensor['dtype']>(['F32', 'F64', 'F16', 'BF16']);

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, axis) => size === b[axis]);
}

/** tfjs shape -> PyTorch shape: [kh, kw, in, out] -> [out, in, kh, kw]; [in, out] -> [out, in]; 1-D unchanged. */
export function pytorchShape(shape: readonly number[]): number[] {
  if (shape.length === 4) return [shape[3]!, shape[2]!, shape[0]!, shape[1]!];
  if (shape.length === 2) return [shape[1]!, shape[0]!];
  return [...shape];
}

function toPytorchLayout(values: Float32Array, shape: readonly number[]): { values: Float32Array; shape: number[] } {
  const torchShape = pytorchShape(shape);
  if (shape.length === 4) {
    const [kh, kw, inChannels, outChannels] = shape as [number, number, number, number];
    const out = new Float32Array(values.length);
    let source = 0;
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < inChannels; i++)
          for (let o = 0; o < outChannels; o++) out[((o * inChannels + i) * kh + y) * kw + x] = values[source++]!;
    return { values: out, shape: torchShape };
  }
  if (shape.length === 2) return { values: transpose2d(values, shape[0]!, shape[1]!), shape: torchShape };
  return { values: Float32Array.from(values), shape: torchShape };
}

/** PyTorch layout -> tfjs layout for a weight of tfjs shape `shape`. */
function fromPytorchLayout(values: Float32Array, shape: readonly number[]): Float32Array {
  if (shape.length === 4) {
    const [kh, kw, inChannels, outChannels] = shape as [number, number, number, number];
    const out = new Float32Array(values.length);
    let target = 0;
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < inChannels; i++)
          for (let o = 0; o < outChannels; o++) out[target++] = values[((o * inChannels + i) * kh + y) * kw + x]!;
    return out;
  }
  // A PyTorch [out, in] matrix transposed is tfjs's [in, out].
  if (shape.length === 2) return transpose2d(values, shape[1]!, shape[0]!);
  return values;
}

/** [rows, columns] row-major -> [columns, rows] row-major. */
function transpose2d(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++) out[column * rows + row] = values[row * columns + column]!;
  return out;
}

/** A floating-point tensor's values as float32, copied so aligned whatever the file's offsets. Little-endian hosts. */
function toFloat32(tensor: SafetensorsTensor): Float32Array {
  const count = elementCount(tensor.shape);
  // The constructor copies; `slice` would not on a Node Buffer, whose slice is a view into the whole file.
  const bytes = new Uint8Array(tensor.data);
  switch (tensor.dtype) {
    case 'F32':
      return new Float32Array(bytes.buffer, 0, count);
    case 'F64':
      return Float32Array.from(new Float64Array(bytes.buffer, 0, count));
    case 'BF16': {
      // bfloat16 is the upper half of a float32.
      const halves = new Uint16Array(bytes.buffer, 0, count);
      const words = new Uint32Array(count);
      for (let index = 0; index < count; index++) words[index] = halves[index]! << 16;
      return new Float32Array(words.buffer);
    }
    case 'F16':
      return Float32Array.from(new Uint16Array(bytes.buffer, 0, count), halfToFloat);
    default:
      throw new Error(`Not a floating-point dtype: ${tensor.dtype}.`);
  }
}

/** IEEE 754 binary16 -> number. */
function halfToFloat(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
