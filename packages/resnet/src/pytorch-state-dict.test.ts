import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildResNet } from './build-resnet.js';
import { StateDictMismatchError, exportStateDict, loadStateDict } from './pytorch-state-dict.js';
import type { ResNetConfigInput } from './resnet-config.js';
import { readSafetensors, writeSafetensors, type SafetensorsTensor } from './safetensors.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const built: tf.LayersModel[] = [];
function build(input: ResNetConfigInput, seed = 1): tf.LayersModel {
  const model = buildResNet(input, { seed });
  built.push(model);
  return model;
}
afterEach(() => {
  built.splice(0).forEach((model) => model.dispose());
});

const floats = (tensor: SafetensorsTensor) => new Float32Array(tensor.data.slice().buffer);
const SMALL = { arch: 'resnet18', width: 0.125 } as const;

describe('exportStateDict', () => {
  it("has exactly the reference's state_dict keys: 20 convolutions, 20 batch norms of 5 entries, the linear layer", () => {
    const stateDict = exportStateDict(build({ arch: 'resnet18' }));
    expect(stateDict.size).toBe(20 + 20 * 5 + 2);
    expect(stateDict.get('conv1.weight')).toMatchObject({ dtype: 'F32', shape: [64, 3, 3, 3] });
    expect(stateDict.get('layer2.0.shortcut.0.weight')).toMatchObject({ dtype: 'F32', shape: [128, 64, 1, 1] });
    expect(stateDict.get('layer2.0.shortcut.1.running_var')).toMatchObject({ dtype: 'F32', shape: [128] });
    expect(stateDict.get('layer4.1.bn2.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
    expect(stateDict.get('linear.weight')).toMatchObject({ dtype: 'F32', shape: [10, 512] });
    expect(stateDict.get('linear.bias')).toMatchObject({ dtype: 'F32', shape: [10] });
  });

  it('transposes convolutions to [out, in, kh, kw] and the linear weight to [out, in]', () => {
    const model = build(SMALL);
    const stateDict = exportStateDict(model, { numBatchesTracked: 391 });
    // tfjs [kh, kw, in, out] = [3, 3, 8, 8]; PyTorch [out, in, kh, kw].
    const kernel = model.getLayer('layer1.0.conv2').getWeights()[0]!.arraySync() as number[][][][];
    const torch = floats(stateDict.get('layer1.0.conv2.weight')!);
    for (const [y, x, i, o] of [
      [0, 0, 0, 0],
      [2, 1, 5, 3],
      [1, 2, 7, 6],
    ] as const) {
      expect(torch[((o * 8 + i) * 3 + y) * 3 + x]).toBe(kernel[y]![x]![i]![o]);
    }
    const dense = model.getLayer('linear').getWeights()[0]!.arraySync() as number[][];
    const linear = floats(stateDict.get('linear.weight')!);
    expect(linear[7 * 64 + 5]).toBe(dense[5]![7]);
    const count = stateDict.get('bn1.num_batches_tracked')!.data;
    expect(new BigInt64Array(count.slice().buffer)[0]).toBe(391n);
  });
});

describe('loadStateDict', () => {
  it('round-trips through safetensors bitwise: equal weights, running statistics and logits', () => {
    const source = build(SMALL, 1);
    // Non-trivial running statistics, as after training.
    tf.tidy(() => source.apply(tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 5), { training: true }) as tf.Tensor);
    const target = build(SMALL, 2);
    const { tensors } = readSafetensors(writeSafetensors(exportStateDict(source)));
    loadStateDict(target, tensors);
    source.weights.forEach((weight, index) => {
      const copy = target.weights[index]!;
      expect(copy.originalName).toBe(weight.originalName);
      expect(Buffer.from(copy.read().dataSync().buffer).equals(Buffer.from(weight.read().dataSync().buffer))).toBe(
        true,
      );
    });
    const images = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 9);
    const [a, b] = [source, target].map((model) => (model.predict(images) as tf.Tensor).dataSync());
    expect(Array.from(b!)).toEqual(Array.from(a!));
    images.dispose();
  });

  it('reads tensors from a Node Buffer, whose slice() is a view into the whole file', () => {
    const source = build(SMALL, 1);
    const target = build(SMALL, 2);
    // As fs.readFile gives it: a Buffer, often a view into a larger pooled ArrayBuffer.
    const file = writeSafetensors(exportStateDict(source));
    const pooled = Buffer.alloc(file.byteLength + 24);
    pooled.set(file, 24);
    loadStateDict(target, readSafetensors(pooled.subarray(24)).tensors);
    source.weights.forEach((weight, index) =>
      expect(Array.from(target.weights[index]!.read().dataSync()), weight.originalName).toEqual(
        Array.from(weight.read().dataSync()),
      ),
    );
  });

  it('converts float64, float16 and bfloat16 tensors to float32', () => {
    const model = build(SMALL);
    const stateDict = exportStateDict(model);
    const values = (n: number) => Array.from({ length: n }, (_, index) => index / 4 - 1);
    const gamma = stateDict.get('bn1.weight')!;
    const half = new Uint16Array(values(8).map((value) => (value === 0 ? 0 : halfBits(value))));
    const brain = new Uint16Array(new Uint32Array(new Float32Array(values(8)).buffer).map((word) => word >>> 16));
    for (const tensor of [
      { dtype: 'F64', shape: gamma.shape, data: new Uint8Array(new Float64Array(values(8)).buffer) },
      { dtype: 'F16', shape: gamma.shape, data: new Uint8Array(half.buffer) },
      { dtype: 'BF16', shape: gamma.shape, data: new Uint8Array(brain.buffer) },
    ] as const) {
      loadStateDict(model, new Map([...stateDict, ['bn1.weight', tensor]]));
      expect(Array.from(model.getLayer('bn1').getWeights()[0]!.dataSync()), tensor.dtype).toEqual(values(8));
    }
  });

  it.each([
    [
      'another depth (resnet34 into resnet18: a key the model lacks)',
      { arch: 'resnet34', width: 0.125 },
      'layer1.2.conv1.weight',
      null,
      [8, 8, 3, 3],
      "The state dict has 'layer1.2.conv1.weight' (shape [8, 8, 3, 3]), which resnet18_cifar does not have.",
    ],
    [
      'another width',
      { arch: 'resnet18', width: 0.25 },
      'conv1.weight',
      [8, 3, 3, 3],
      [16, 3, 3, 3],
      "'conv1.weight' has shape [16, 3, 3, 3] in the state dict; resnet18_cifar expects [8, 3, 3, 3].",
    ],
    [
      'another class count',
      { arch: 'resnet18', width: 0.125, classes: 100 },
      'linear.weight',
      [10, 64],
      [100, 64],
      "'linear.weight' has shape [100, 64] in the state dict; resnet18_cifar expects [10, 64].",
    ],
    [
      'bottleneck blocks (resnet50)',
      { arch: 'resnet50', width: 0.125 },
      'layer1.0.conv1.weight',
      [8, 8, 3, 3],
      [8, 8, 1, 1],
      "'layer1.0.conv1.weight' has shape [8, 8, 1, 1] in the state dict; resnet18_cifar expects [8, 8, 3, 3].",
    ],
    [
      'the imagenet stem',
      { arch: 'resnet18', stem: 'imagenet', classes: 10, inputSize: 64, width: 0.125 },
      'conv1.weight',
      [8, 3, 3, 3],
      [8, 3, 7, 7],
      "'conv1.weight' has shape [8, 3, 7, 7] in the state dict; resnet18_cifar expects [8, 3, 3, 3].",
    ],
  ] as const)('names the first mismatching key and both shapes for %s', (_, other, key, expected, actual, message) => {
    const model = build(SMALL);
    const before = model.getWeights().map((weight) => weight.dataSync().slice());
    const error = catchError(() => loadStateDict(model, exportStateDict(build(other))));
    expect(error).toBeInstanceOf(StateDictMismatchError);
    expect(error).toMatchObject({ key, expectedShape: expected, actualShape: actual, message });
    // Checked before writing: the model is untouched.
    model.getWeights().forEach((weight, index) => expect(weight.dataSync()).toEqual(before[index]));
  });

  it('names a missing key and uses the description it is given', () => {
    const model = build(SMALL);
    const stateDict = exportStateDict(model);
    stateDict.delete('layer3.1.bn2.running_var');
    expect(() => loadStateDict(model, stateDict, { modelDescription: 'resnet18 (cifar stem, width 0.125)' })).toThrow(
      "The state dict has no 'layer3.1.bn2.running_var', which resnet18 (cifar stem, width 0.125) needs with shape [32].",
    );
  });

  it('ignores num_batches_tracked and refuses integer weights', () => {
    const model = build(SMALL);
    const stateDict = exportStateDict(model);
    for (const key of [...stateDict.keys()]) if (key.endsWith('.num_batches_tracked')) stateDict.delete(key);
    expect(() => loadStateDict(model, stateDict)).not.toThrow();
    stateDict.set('linear.bias', { dtype: 'I32', shape: [10], data: new Uint8Array(40) });
    expect(() => loadStateDict(model, stateDict)).toThrow(
      "'linear.bias' has dtype I32; expected a floating-point tensor (F32, F64, F16 or BF16).",
    );
  });
});

function catchError(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('Expected an error.');
}

/** binary16 bits of a value exactly representable in it (normal numbers only). */
function halfBits(value: number): number {
  const sign = value < 0 ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  const exponent = Math.floor(Math.log2(magnitude));
  const fraction = Math.round((magnitude / 2 ** exponent - 1) * 1024);
  return sign | ((exponent + 15) << 10) | fraction;
}
