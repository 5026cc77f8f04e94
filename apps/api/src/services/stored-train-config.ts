// A run's recorded TrainConfig (the Run.config column) as the trainer and the API read it, with what rows written by
// earlier versions leave out filled in as those versions trained.
import type { ResNetInit } from '@resnet-lab/resnet';
import type { TrainConfig } from '@resnet-lab/trainer';
import type { Prisma } from '../generated/prisma/client.js';

/**
 * The initialization of runs recorded before `init` was a hyperparameter: @resnet-lab/resnet then built every model
 * with torchvision's (Kaiming normal, fan-out, for convolutions; PyTorch's default for the linear layer).
 */
export const INIT_BEFORE_IT_WAS_RECORDED: ResNetInit = 'torchvision';

/** The config of a Run row; `init` is filled in for rows recorded before it existed. */
export function storedTrainConfig(config: Prisma.JsonValue): TrainConfig {
  const recorded = config as unknown as Omit<TrainConfig, 'init'> & { readonly init?: ResNetInit };
  return { ...recorded, init: recorded.init ?? INIT_BEFORE_IT_WAS_RECORDED };
}
