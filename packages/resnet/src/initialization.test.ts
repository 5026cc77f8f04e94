import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildResNet } from './build-resnet.js';
import { defaultInit, kaimingNormalFanOutStd, pytorchDefaultBound, type ResNetInit } from './initialization.js';
import type { ResNetConfigInput } from './resnet-config.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface Statistics {
  readonly count: number;
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** Fraction of values more than two standard deviations `reference` away from 0. */
  beyond(reference: number): number;
}

function statistics(values: Float32Array): Statistics {
  const count = values.length;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    sum += value;
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  const mean = sum / count;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return {
    count,
    mean,
    std: Math.sqrt(squares / count),
    min,
    max,
    beyond: (reference) => values.filter((value) => Math.abs(value) > 2 * reference).length / count,
  };
}

/** Every kernel of `model` with its PyTorch fans: convolution [kh, kw, in, out], linear [in, out]. */
function kernels(model: tf.LayersModel) {
  return model.weights
    .filter((weight) => weight.originalName.endsWith('/kernel'))
    .map((weight) => {
      const shape = weight.shape as number[];
      const area = shape.length === 4 ? shape[0]! * shape[1]! : 1;
      return {
        name: weight.originalName,
        fanIn: area * shape.at(-2)!,
        fanOut: area * shape.at(-1)!,
        isLinear: shape.length === 2,
        values: statistics(weight.read().dataSync() as Float32Array),
      };
    });
}

const CONFIGS: readonly ResNetConfigInput[] = [
  { arch: 'resnet18', width: 0.5 },
  { arch: 'resnet50', stem: 'imagenet', classes: 100, inputSize: 64, width: 0.25 },
];

describe.each(CONFIGS)('initialization of %j', (config) => {
  const models = new Map<ResNetInit, tf.LayersModel>();
  const model = (init: ResNetInit) => {
    if (!models.has(init)) models.set(init, buildResNet(config, { seed: 3, init }));
    return models.get(init)!;
  };
  afterAll(() => models.forEach((built) => built.dispose()));

  it('pytorch-default: every convolution and the linear layer are U(-1/sqrt(fan_in), 1/sqrt(fan_in))', () => {
    for (const { name, fanIn, values } of kernels(model('pytorch-default'))) {
      const bound = pytorchDefaultBound(fanIn);
      // A uniform variable's standard deviation is bound / sqrt(3); its estimate's error is about 0.45 std / sqrt(n).
      const std = bound / Math.sqrt(3);
      const tolerance = (6 * 0.45) / Math.sqrt(values.count);
      expect(Math.abs(values.std / std - 1), `${name} std ${values.std} vs ${std}`).toBeLessThan(tolerance);
      expect(Math.abs(values.mean) / std, `${name} mean`).toBeLessThan(6 / Math.sqrt(values.count));
      expect(values.max, `${name} max`).toBeLessThanOrEqual(bound);
      expect(values.min, `${name} min`).toBeGreaterThanOrEqual(-bound);
      // The extremes reach the bound: the nearest of n uniform draws is within about 2 bound / n of it.
      expect(values.max, `${name} max`).toBeGreaterThan(bound * (1 - 20 / values.count));
      expect(values.min, `${name} min`).toBeLessThan(-bound * (1 - 20 / values.count));
    }
  });

  it('torchvision: convolutions are N(0, 2/fan_out), untruncated; the linear layer keeps the default', () => {
    for (const { name, fanIn, fanOut, isLinear, values } of kernels(model('torchvision'))) {
      if (isLinear) {
        const bound = pytorchDefaultBound(fanIn);
        expect(values.max, name).toBeLessThanOrEqual(bound);
        expect(Math.abs(values.std / (bound / Math.sqrt(3)) - 1), name).toBeLessThan(
          (6 * 0.45) / Math.sqrt(values.count),
        );
        continue;
      }
      const std = kaimingNormalFanOutStd(fanOut);
      // A normal variable's standard deviation estimate errs by about std / sqrt(2n).
      const tolerance = 6 / Math.sqrt(2 * values.count);
      expect(Math.abs(values.std / std - 1), `${name} std ${values.std} vs ${std}`).toBeLessThan(tolerance);
      expect(Math.abs(values.mean) / std, `${name} mean`).toBeLessThan(6 / Math.sqrt(values.count));
      if (values.count >= 10_000) {
        // 4.55% of a normal lies beyond two standard deviations; a truncated normal (tfjs's 'normal') has none.
        expect(values.beyond(std), `${name} tail`).toBeGreaterThan(0.035);
        expect(values.beyond(std), `${name} tail`).toBeLessThan(0.056);
      }
    }
  });

  it('both schemes start batch norm at weight 1, bias 0, running mean 0 and running variance 1', () => {
    for (const init of ['pytorch-default', 'torchvision'] as const) {
      const expected = { gamma: 1, beta: 0, moving_mean: 0, moving_variance: 1 } as Record<string, number>;
      const batchNorms = model(init).weights.filter((weight) => weight.originalName.split('/')[1]! in expected);
      expect(batchNorms.length).toBeGreaterThan(4 * 16);
      for (const weight of batchNorms) {
        const value = expected[weight.originalName.split('/')[1]!]!;
        expect(new Set(weight.read().dataSync()), weight.originalName).toEqual(new Set([value]));
      }
    }
  });
});

describe('defaultInit', () => {
  it("is the seed's PyTorch default for the cifar stem and torchvision's for imagenet", () => {
    expect(defaultInit('cifar')).toBe('pytorch-default');
    expect(defaultInit('imagenet')).toBe('torchvision');
  });

  it('is what buildResNet uses without an init option, and the two schemes differ', () => {
    const config = { arch: 'resnet18', width: 0.25 } as const;
    const stdOf = (model: tf.LayersModel) =>
      statistics(model.getLayer('layer1.0.conv1').getWeights()[0]!.dataSync() as Float32Array).std;
    const models = [
      buildResNet(config, { seed: 1 }),
      buildResNet(config, { seed: 1, init: 'pytorch-default' }),
      buildResNet(config, { seed: 1, init: 'torchvision' }),
    ];
    const [implicit, pytorch, torchvision] = models.map(stdOf) as [number, number, number];
    expect(implicit).toBe(pytorch);
    // Equal fans (16 -> 16 channels, 3x3): torchvision's variance 2/144 is six times PyTorch's 1/(3 * 144).
    expect((torchvision / pytorch) ** 2).toBeCloseTo(6, 0);
    models.forEach((built) => built.dispose());
  });
});
