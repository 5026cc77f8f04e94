// Where InferenceModel reads a trained ResNet's weights from, so that one folding path serves two sources: a live
// layers model (layersModelWeights, for training's own evaluation) and a checkpoint's stored weights
// (storedResNetWeights, for start-up without building the layers model).
import type * as tf from '@tensorflow/tfjs';

/** A ResNet's weights by the tfjs names `<layer>/<suffix>` (e.g. `layer1.0.bn1/gamma`) that both sources share. */
export interface ResNetWeights {
  /**
   * The layer's weights named `<layer>/<suffix>`, in the order of `suffixes`; throws naming what is missing. The
   * source owns the tensors: the caller copies what it keeps.
   */
  read(layerName: string, suffixes: readonly string[]): tf.Tensor[];
  /** The epsilon of batch norm `layerName`, as the model was built with; throws when it has none. */
  batchNormEpsilon(layerName: string): number;
}

/** The weights of a live layers model (its variables' tensors), found through its layers. */
export function layersModelWeights(model: tf.LayersModel): ResNetWeights {
  const layer = (layerName: string): tf.layers.Layer => {
    try {
      return model.getLayer(layerName);
    } catch (error) {
      throw new Error(`Expected the model to have a layer '${layerName}', as its ResNet config plans.`, {
        cause: error,
      });
    }
  };
  return {
    read(layerName, suffixes) {
      const { weights } = layer(layerName);
      return suffixes.map((suffix) => {
        const weight = weights.find((candidate) => candidate.originalName === `${layerName}/${suffix}`);
        if (weight === undefined) {
          throw new Error(
            `Expected layer '${layerName}' to have a weight '${suffix}', got: ` +
              `${weights.map((candidate) => candidate.originalName).join(', ') || 'none'}.`,
          );
        }
        return weight.read();
      });
    },
    batchNormEpsilon(layerName) {
      return expectEpsilon(layerName, layer(layerName).getConfig()['epsilon']);
    },
  };
}

/** `epsilon` when it is a number; else throws naming the batch norm and the value found. */
export function expectEpsilon(layerName: string, epsilon: unknown): number {
  if (typeof epsilon !== 'number') {
    throw new Error(`Expected batch norm ${layerName} to have a numeric epsilon, got ${JSON.stringify(epsilon)}.`);
  }
  return epsilon;
}
