import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ResNetBatchNormalization } from './batch-normalization.js';
import { buildResNet } from './build-resnet.js';
import { markReluAfterBatchNorm } from './relu-after-batch-norm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const built: tf.LayersModel[] = [];
afterEach(() => {
  built.splice(0).forEach((model) => model.dispose());
});

function marked(model: tf.LayersModel): string[] {
  return model.layers
    .filter((layer): layer is ResNetBatchNormalization => layer instanceof ResNetBatchNormalization)
    .filter((layer) => layer.reluFollows)
    .map((layer) => layer.name);
}

describe('markReluAfterBatchNorm', () => {
  it("marks the stem's batch norm and each block's but the last, which the residual sum follows", () => {
    const resnet18 = buildResNet({ arch: 'resnet18', width: 0.25 });
    built.push(resnet18);
    const blocks = ['layer1', 'layer2', 'layer3', 'layer4'].flatMap((stage) => [`${stage}.0`, `${stage}.1`]);
    expect(marked(resnet18)).toEqual(['bn1', ...blocks.map((block) => `${block}.bn1`)]);

    const resnet50 = buildResNet({ arch: 'resnet50', stem: 'imagenet', inputSize: 64, width: 0.25 });
    built.push(resnet50);
    const names = marked(resnet50);
    expect(names).toHaveLength(1 + 16 * 2);
    expect(names.filter((name) => /\.bn3$|shortcut/.test(name))).toEqual([]);
  });

  it('is not saved with the model: a loaded model has no mark until marked again', async () => {
    const model = buildResNet({ arch: 'resnet18', width: 0.25 });
    built.push(model);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler((saved) => {
        artifacts = saved;
        return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
      }),
    );
    expect(JSON.stringify(artifacts!.modelTopology)).not.toContain('relu_follows');
    expect(JSON.stringify(artifacts!.modelTopology)).not.toContain('reluFollows');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    built.push(loaded);
    expect(marked(loaded)).toEqual([]);
    expect(markReluAfterBatchNorm(loaded)).toBe(9);
    expect(marked(loaded)).toEqual(marked(model));
  });

  it('leaves a batch norm unmarked where its output goes elsewhere too, or to a clipped ReLU', () => {
    const input = tf.input({ shape: [4, 4, 8] });
    const bn = (name: string) => new ResNetBatchNormalization({ name, momentum: 0.9, epsilon: 1e-5 });
    const shared = bn('shared').apply(input) as tf.SymbolicTensor;
    const twice = tf.layers.add().apply([tf.layers.reLU().apply(shared) as tf.SymbolicTensor, shared]);
    const clipped = tf.layers.reLU({ maxValue: 6 }).apply(bn('clipped').apply(input)) as tf.SymbolicTensor;
    const plain = tf.layers.reLU().apply(bn('plain').apply(input)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [twice as tf.SymbolicTensor, clipped, plain] });
    built.push(model);
    expect(markReluAfterBatchNorm(model)).toBe(1);
    expect(marked(model)).toEqual(['plain']);
  });
});
