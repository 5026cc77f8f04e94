// The `__metadata__` a resnet-lab checkpoint exported as safetensors carries: what the weights alone do not say
// (architecture, classes in label order, input normalization), as strings, the only values the format allows.
import type { CheckpointMetadata } from '../training/checkpoint.js';

export const CHECKPOINT_METADATA_KEYS = {
  /** 'pt', as PyTorch-side tools (transformers, safetensors.torch) write and expect. */
  format: 'format',
  producer: 'producer',
  arch: 'arch',
  stem: 'stem',
  /** A JSON number. */
  width: 'width',
  classes: 'classes',
  inputSize: 'inputSize',
  /** A JSON array of strings, index = label. */
  classNames: 'classNames',
  /** A JSON object { mean: [r, g, b], std: [r, g, b] } for pixels scaled to [0, 1], or null. */
  normalization: 'normalization',
  epoch: 'epoch',
  /** The training run's initialization scheme; absent for imported weights. */
  init: 'init',
} as const;

export const SAFETENSORS_PRODUCER = 'resnet-lab';

export function safetensorsMetadata(checkpoint: CheckpointMetadata): Record<string, string> {
  const { model } = checkpoint;
  const keys = CHECKPOINT_METADATA_KEYS;
  return {
    [keys.format]: 'pt',
    [keys.producer]: SAFETENSORS_PRODUCER,
    [keys.arch]: model.arch,
    [keys.stem]: model.stem,
    [keys.width]: JSON.stringify(model.width),
    [keys.classes]: JSON.stringify(model.classes),
    [keys.inputSize]: JSON.stringify(model.inputSize),
    [keys.classNames]: JSON.stringify(checkpoint.classNames),
    [keys.normalization]: JSON.stringify(checkpoint.normalization),
    [keys.epoch]: JSON.stringify(checkpoint.epoch),
    ...(checkpoint.config === null ? {} : { [keys.init]: checkpoint.config.init }),
  };
}
