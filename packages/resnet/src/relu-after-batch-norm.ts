// Which batch norms a ReLU follows. ResNet's stem and each block's first convolution go conv -> batch norm -> ReLU, and
// a batch norm that knows its output goes to a ReLU and nowhere else ReLUs it itself where the backend's kernels
// normalize in training (ResNetBatchNormalization.reluFollows): one pass less over 9 of ResNet18's 17 ReLU inputs a
// step. Not part of the saved model: buildResNet marks the layers it builds, and a loaded model is marked again.
import type * as tf from '@tensorflow/tfjs';
import { ResNetBatchNormalization } from './batch-normalization.js';

/** Sets reluFollows on every ResNetBatchNormalization of `model`; returns how many a ReLU follows. */
export function markReluAfterBatchNorm(model: tf.LayersModel): number {
  let marked = 0;
  for (const layer of model.layers) {
    if (!(layer instanceof ResNetBatchNormalization)) continue;
    const consumers = layer.outboundNodes.map((node) => node.outboundLayer);
    layer.reluFollows = consumers.length === 1 && isRelu(consumers[0]!);
    if (layer.reluFollows) marked += 1;
  }
  return marked;
}

/** tf.layers.reLU without a maximum: max(0, x) and nothing else. */
function isRelu(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === 'ReLU' && (layer.getConfig()['maxValue'] ?? null) === null;
}
