import { describe, expect, it } from 'vitest';
import { TrainConfigError, resolveTrainConfig } from './train-config.js';

describe('resolveTrainConfig', () => {
  it("defaults to the seed's recipe", () => {
    expect(resolveTrainConfig({ data: 'synthetic' })).toEqual({
      data: 'synthetic',
      arch: 'resnet18',
      stem: 'cifar',
      init: 'pytorch-default',
      width: 1,
      epochs: 50,
      batchSize: 128,
      learningRate: 0.1,
      momentum: 0.9,
      weightDecay: 5e-4,
      nesterov: false,
      schedule: 'step',
      stepSize: 50,
      milestones: [50, 100],
      gamma: 0.1,
      augment: true,
      normalization: 'dataset',
      seed: 0,
      backend: 'auto',
      testFraction: 0.1,
      limitPerClass: 0,
    });
  });

  it.each([
    [{}, 'pytorch-default'],
    [{ stem: 'cifar' }, 'pytorch-default'],
    [{ stem: 'imagenet' }, 'torchvision'],
    [{ stem: 'cifar', init: 'torchvision' }, 'torchvision'],
    [{ stem: 'imagenet', init: 'pytorch-default' }, 'pytorch-default'],
  ])("initializes %j with '%s' (the stem's default unless given)", (override, init) => {
    expect(resolveTrainConfig({ data: 'synthetic', ...override }).init).toBe(init);
  });

  it.each([
    [{ learningRate: 0 }, 'learningRate', 'Expected learningRate to be a number in (0, 10], got 0.'],
    [{ learningRate: Number.NaN }, 'learningRate', 'Expected learningRate to be a number in (0, 10], got NaN.'],
    [{ momentum: 1 }, 'momentum', 'Expected momentum to be a number in [0, 1), got 1.'],
    [{ weightDecay: -1e-4 }, 'weightDecay', 'Expected weightDecay to be a number in [0, 1], got -0.0001.'],
    [{ batchSize: 0 }, 'batchSize', 'Expected batchSize to be an integer from 1 to 65536, got 0.'],
    [{ epochs: 2.5 }, 'epochs', 'Expected epochs to be an integer from 1 to 10000, got 2.5.'],
    [
      { schedule: 'exponential' },
      'schedule',
      "Expected schedule to be one of step, multistep, cosine, one-cycle, constant, got 'exponential'.",
    ],
    [
      { arch: 'resnet20' },
      'arch',
      "Expected arch to be one of resnet18, resnet34, resnet50, resnet101, resnet152, got 'resnet20'.",
    ],
    [{ init: 'kaiming' }, 'init', "Expected init to be one of pytorch-default, torchvision, got 'kaiming'."],
    [{ backend: 'webgpu' }, 'backend', "Expected backend to be one of auto, tensorflow, wasm, cpu, got 'webgpu'."],
    [
      { milestones: [100, 50] },
      'milestones',
      'Expected milestones to be increasing positive epoch numbers, got [100,50].',
    ],
    [{ testFraction: 0.95 }, 'testFraction', 'Expected testFraction to be a number in [0, 0.9], got 0.95.'],
    [{ data: '' }, 'data', `Expected data to be a dataset location ('synthetic' or a directory), got "".`],
  ])('rejects %j naming the field %s', (override, field, message) => {
    let error: unknown;
    try {
      resolveTrainConfig({ data: 'synthetic', ...override });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TrainConfigError);
    expect(error).toMatchObject({ field, message });
  });
});
