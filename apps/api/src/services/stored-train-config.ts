// A run's recorded TrainConfig (the Run.config column) as the trainer and the API read it, with what rows written by
// earlier versions leave out filled in as those versions trained.
import type { ResNetInit } from '@resnet-lab/resnet';
import { INIT_BEFORE_IT_WAS_RECORDED, type TrainConfig } from '@resnet-lab/trainer';
import type { Prisma } from '../generated/prisma/client.js';

/** The config of a Run row; `init` is filled in for rows recorded before it existed. */
export function storedTrainConfig(config: Prisma.JsonValue): TrainConfig {
  const recorded = config as unknown as Omit<TrainConfig, 'init'> & { readonly init?: ResNetInit };
  return { ...recorded, init: recorded.init ?? INIT_BEFORE_IT_WAS_RECORDED };
}
