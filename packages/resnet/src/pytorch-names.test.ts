import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildResNet } from './build-resnet.js';
import { pytorchStateDictKey } from './pytorch-names.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('pytorchStateDictKey', () => {
  it('maps every weight of resnet18 onto the reference state_dict one to one', () => {
    const model = buildResNet({ arch: 'resnet18', width: 0.125 });
    const keys = model.layers.flatMap((layer) =>
      layer.weights.map((weight) => pytorchStateDictKey(weight.originalName)),
    );
    expect(keys.slice(0, 6)).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'bn1.running_mean',
      'bn1.running_var',
      'layer1.0.conv1.weight',
    ]);
    expect(keys.slice(-2)).toEqual(['linear.weight', 'linear.bias']);
    // PyTorch's 20 num_batches_tracked entries have no counterpart: 20 convs + 20 batch norms x 4 + 2 = 102.
    expect(keys).toHaveLength(102);
    expect(new Set(keys)).toEqual(new Set(referenceResNet18StateDictKeys()));
    model.dispose();
  });

  it('rejects a name that is not a layer weight', () => {
    expect(() => pytorchStateDictKey('conv1')).toThrow(
      "Expected a weight name '<layer>/<kernel|bias|gamma|beta|moving_mean|moving_variance>', got 'conv1'.",
    );
  });
});

/** The state_dict keys of the seed's PyTorch ResNet18 (kuangliu/pytorch-cifar), num_batches_tracked left out. */
function referenceResNet18StateDictKeys(): string[] {
  const batchNorm = (name: string) => ['weight', 'bias', 'running_mean', 'running_var'].map((key) => `${name}.${key}`);
  const keys = ['conv1.weight', ...batchNorm('bn1')];
  for (let layer = 1; layer <= 4; layer++) {
    for (let block = 0; block < 2; block++) {
      const prefix = `layer${layer}.${block}`;
      keys.push(
        `${prefix}.conv1.weight`,
        ...batchNorm(`${prefix}.bn1`),
        `${prefix}.conv2.weight`,
        ...batchNorm(`${prefix}.bn2`),
      );
      // The stride-2 first block of layer2..4 projects its shortcut.
      if (layer > 1 && block === 0) keys.push(`${prefix}.shortcut.0.weight`, ...batchNorm(`${prefix}.shortcut.1`));
    }
  }
  return [...keys, 'linear.weight', 'linear.bias'];
}
