import { describe, expect, it } from 'vitest';
import { ResNetConfigError, resolveResNetConfig } from './resnet-config.js';

describe('resolveResNetConfig', () => {
  it('fills in the defaults of each stem', () => {
    expect(resolveResNetConfig({ arch: 'resnet18' })).toEqual({
      arch: 'resnet18',
      stem: 'cifar',
      classes: 10,
      inputSize: 32,
      width: 1,
    });
    expect(resolveResNetConfig({ arch: 'resnet50', stem: 'imagenet' })).toEqual({
      arch: 'resnet50',
      stem: 'imagenet',
      classes: 1000,
      inputSize: 224,
      width: 1,
    });
  });

  it.each([
    [
      { arch: 'resnet19' },
      'arch',
      "Unknown architecture 'resnet19'. Allowed: resnet18, resnet34, resnet50, resnet101, resnet152.",
    ],
    [{ arch: 'resnet18', stem: 'mnist' }, 'stem', "Unknown stem 'mnist'. Allowed: cifar, imagenet."],
    [{ arch: 'resnet18', classes: 1 }, 'classes', 'Expected classes to be an integer from 2 to 100000, got 1.'],
    [{ arch: 'resnet18', classes: 2.5 }, 'classes', 'Expected classes to be an integer from 2 to 100000, got 2.5.'],
    [
      { arch: 'resnet18', inputSize: 4 },
      'inputSize',
      'Expected inputSize to be an integer from 8 to 1024 for the cifar stem, got 4.',
    ],
    [
      { arch: 'resnet18', stem: 'imagenet', inputSize: 16 },
      'inputSize',
      'Expected inputSize to be an integer from 32 to 1024 for the imagenet stem, got 16.',
    ],
    [{ arch: 'resnet18', width: 0 }, 'width', 'Expected width to be a number from 0.015625 (1 filter) to 8, got 0.'],
    [
      { arch: 'resnet18', width: Number.NaN },
      'width',
      'Expected width to be a number from 0.015625 (1 filter) to 8, got NaN.',
    ],
  ])('rejects %j, naming the field %s', (input, field, message) => {
    let error: unknown;
    try {
      resolveResNetConfig(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ResNetConfigError);
    expect(error).toMatchObject({ field, message });
  });
});
