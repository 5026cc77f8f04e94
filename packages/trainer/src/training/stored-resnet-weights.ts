// A saved ResNet's weights read straight from its model artifacts (model.json + weights), without building the
// tfjs layers model: the model's weight group decoded by name, batch-norm epsilons read from the stored topology
// (the Keras JSON that tfjs-layers writes: { config: { layers: [{ class_name, config: { name, epsilon } }] } }).
import * as tf from '@tensorflow/tfjs';
import { OPTIMIZER_GROUP } from './checkpoint.js';
import { expectEpsilon, type ResNetWeights } from './resnet-weights.js';

/** Stored weights as tensors of their own: dispose them once read. */
export interface StoredResNetWeights extends ResNetWeights {
  dispose(): void;
}

/** Decodes the model's weights of `artifacts` (not the optimizer's) onto the current backend. */
export function storedResNetWeights(artifacts: tf.io.ModelArtifacts): StoredResNetWeights {
  const specs = artifacts.weightSpecs ?? [];
  // decodeWeights reads the specs in order from the start of the data: decode up to the model's last weight, which
  // is all of them where saveCheckpoint wrote the optimizer's weights after the model's.
  let end = specs.length;
  while (end > 0 && specs[end - 1]!.group === OPTIMIZER_GROUP) end--;
  const decoded = tf.io.decodeWeights(artifacts.weightData ?? [], specs.slice(0, end));
  const weights = new Map<string, tf.Tensor>();
  for (const spec of specs.slice(0, end)) {
    if (spec.group === OPTIMIZER_GROUP) decoded[spec.name]!.dispose();
    else weights.set(spec.name, decoded[spec.name]!);
  }
  const batchNorms = batchNormConfigs(artifacts.modelTopology);
  return {
    read(layerName, suffixes) {
      return suffixes.map((suffix) => {
        const weight = weights.get(`${layerName}/${suffix}`);
        if (weight === undefined) {
          const prefix = `${layerName}/`;
          const ofLayer = [...weights.keys()].filter((name) => name.startsWith(prefix));
          throw new Error(
            ofLayer.length === 0
              ? `Expected the stored weights to have a layer '${layerName}', as its ResNet config plans.`
              : `Expected layer '${layerName}' to have a weight '${suffix}', got: ${ofLayer.join(', ')}.`,
          );
        }
        return weight;
      });
    },
    batchNormEpsilon(layerName) {
      const config = batchNorms.get(layerName);
      if (config === undefined) {
        throw new Error(`Expected the stored topology to have a batch norm layer '${layerName}'.`);
      }
      return expectEpsilon(layerName, config['epsilon']);
    },
    dispose() {
      tf.dispose([...weights.values()]);
    },
  };
}

/** The config of each BatchNormalization layer of a stored topology, by layer name. */
function batchNormConfigs(topology: unknown): Map<string, Record<string, unknown>> {
  const root = asRecord(topology);
  // Keras's whole-model JSON nests the model under model_config; tfjs-layers writes the model itself.
  const model = asRecord(root?.['model_config']) ?? root;
  const layers = asRecord(model?.['config'])?.['layers'];
  const configs = new Map<string, Record<string, unknown>>();
  if (!Array.isArray(layers)) return configs;
  for (const entry of layers as unknown[]) {
    const layer = asRecord(entry);
    const config = asRecord(layer?.['config']);
    if (layer?.['class_name'] !== 'BatchNormalization' || config === undefined) continue;
    if (typeof config['name'] === 'string') configs.set(config['name'], config);
  }
  return configs;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
