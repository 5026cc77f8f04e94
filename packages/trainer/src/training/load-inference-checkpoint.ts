// A checkpoint loaded for evaluation and prediction only: its weights folded straight into an InferenceModel, without
// building the tfjs layers model that loadCheckpoint builds (most of the start-up of eval, predict and the API's
// workers, only for the fold to read and dispose it) and without decoding the optimizer's momentum buffers.
import { ModelDirectoryError, readModelArtifacts } from '../model-directory.js';
import { parseCheckpointMetadata, type CheckpointMetadata } from './checkpoint.js';
import { InferenceModel } from './inference-model.js';
import { storedResNetWeights } from './stored-resnet-weights.js';

export interface InferenceCheckpoint {
  /** The directory, or tar archive, it was loaded from. */
  readonly directory: string;
  /** The caller disposes it. */
  readonly model: InferenceModel;
  readonly metadata: CheckpointMetadata;
}

/**
 * Loads a checkpoint directory, or a tar archive of one (as loadCheckpoint takes), as the folded InferenceModel of its
 * ResNet: the same logits as `InferenceModel.fromResNet(loadCheckpoint(directory).model, config)`. Throws a
 * ModelDirectoryError naming the checkpoint and the layer when a weight its metadata's ResNet config plans is missing
 * or has another shape.
 */
export async function loadInferenceCheckpoint(directory: string): Promise<InferenceCheckpoint> {
  const artifacts = await readModelArtifacts(directory);
  const metadata = parseCheckpointMetadata(artifacts.userDefinedMetadata, directory);
  const weights = storedResNetWeights(artifacts);
  try {
    return { directory, model: InferenceModel.fromWeights(weights, metadata.model), metadata };
  } catch (error) {
    throw new ModelDirectoryError(
      `Checkpoint ${directory} does not hold the ${metadata.model.arch} its metadata describes: ` +
        `${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    weights.dispose();
  }
}
