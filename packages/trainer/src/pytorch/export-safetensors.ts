// A resnet-lab checkpoint as a PyTorch state_dict in safetensors: the reference's keys and layouts, batch-norm
// running statistics and num_batches_tracked included, loadable with `model.load_state_dict(load_file(path))`.
import { exportStateDict, writeSafetensors } from '@resnet-lab/resnet';
import { loadCheckpoint } from '../training/checkpoint.js';
import { safetensorsMetadata } from './safetensors-metadata.js';

/**
 * The checkpoint's weights as a safetensors file, with its architecture, class names and normalization as metadata.
 * Momentum buffers stay behind. num_batches_tracked is the imported file's when the checkpoint came from one, else 0.
 */
export async function exportSafetensors(checkpointDirectory: string): Promise<Uint8Array> {
  const checkpoint = await loadCheckpoint(checkpointDirectory);
  checkpoint.momentumBuffers.forEach((tensor) => tensor.dispose());
  try {
    const { metadata } = checkpoint;
    const stateDict = exportStateDict(checkpoint.model, {
      numBatchesTracked: metadata.source?.numBatchesTracked ?? undefined,
    });
    return writeSafetensors(stateDict, safetensorsMetadata(metadata));
  } finally {
    checkpoint.model.dispose();
  }
}
