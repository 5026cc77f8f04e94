// Learning rate at each SGD step, as PyTorch's StepLR, MultiStepLR, CosineAnnealingLR and OneCycleLR compute it.
import type { TrainConfig } from './train-config.js';

export type ScheduleConfig = Pick<
  TrainConfig,
  'schedule' | 'learningRate' | 'epochs' | 'stepSize' | 'milestones' | 'gamma'
>;

/** OneCycleLR defaults: 30% warm-up, start at max/25, end at max/(25 * 1e4). */
const ONE_CYCLE_WARMUP_FRACTION = 0.3;
const ONE_CYCLE_DIV_FACTOR = 25;
const ONE_CYCLE_FINAL_DIV_FACTOR = 1e4;

/**
 * The rate for step `batch` (0-based) of epoch `epoch` (0-based). Step and multistep change at epoch boundaries,
 * as the seed's adjust_learning_rate; cosine and one-cycle change every step. A pure function of the position,
 * so that a resumed run continues the schedule exactly.
 */
export function learningRateAt(config: ScheduleConfig, epoch: number, batch: number, batchesPerEpoch: number): number {
  const { learningRate } = config;
  switch (config.schedule) {
    case 'constant':
      return learningRate;
    case 'step':
      return learningRate * config.gamma ** Math.floor(epoch / config.stepSize);
    case 'multistep':
      return learningRate * config.gamma ** config.milestones.filter((milestone) => epoch >= milestone).length;
    case 'cosine': {
      const progress = (epoch * batchesPerEpoch + batch) / (config.epochs * batchesPerEpoch);
      return (learningRate * (1 + Math.cos(Math.PI * progress))) / 2;
    }
    case 'one-cycle': {
      const totalSteps = config.epochs * batchesPerEpoch;
      const step = epoch * batchesPerEpoch + batch;
      const warmupEnd = ONE_CYCLE_WARMUP_FRACTION * totalSteps - 1;
      const initial = learningRate / ONE_CYCLE_DIV_FACTOR;
      const final = initial / ONE_CYCLE_FINAL_DIV_FACTOR;
      return step <= warmupEnd
        ? cosineBetween(initial, learningRate, step / warmupEnd)
        : cosineBetween(learningRate, final, (step - warmupEnd) / (totalSteps - 1 - warmupEnd));
    }
  }
}

/** PyTorch's `_annealing_cos`: from `start` at progress 0 to `end` at progress 1. */
function cosineBetween(start: number, end: number, progress: number): number {
  return end + ((start - end) / 2) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, progress))));
}
