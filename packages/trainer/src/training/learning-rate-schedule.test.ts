import { describe, expect, it } from 'vitest';
import { learningRateAt, type ScheduleConfig } from './learning-rate-schedule.js';

const base: ScheduleConfig = {
  schedule: 'step',
  learningRate: 0.1,
  epochs: 150,
  stepSize: 50,
  milestones: [50, 100],
  gamma: 0.1,
};

describe('learningRateAt', () => {
  it("follows the seed's adjust_learning_rate: 0.1, divided by 10 at epoch 50 and again at 100", () => {
    const rates = [0, 49, 50, 99, 100, 149].map((epoch) => learningRateAt(base, epoch, 0, 391));
    expect(rates.map((rate) => Number(rate.toPrecision(12)))).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
  });

  it('divides at each multistep milestone and holds within an epoch', () => {
    const config = { ...base, schedule: 'multistep', milestones: [2, 5], gamma: 0.5 } as const;
    expect([0, 1, 2, 4, 5, 9].map((epoch) => learningRateAt(config, epoch, 7, 10))).toEqual([
      0.1, 0.1, 0.05, 0.05, 0.025, 0.025,
    ]);
  });

  it('anneals with a cosine from the initial rate to 0 over all steps', () => {
    const config = { ...base, schedule: 'cosine', epochs: 4 } as const;
    expect(learningRateAt(config, 0, 0, 10)).toBe(0.1);
    expect(learningRateAt(config, 2, 0, 10)).toBeCloseTo(0.05, 15);
    expect(learningRateAt(config, 3, 0, 10)).toBeCloseTo((0.1 * (1 + Math.cos(0.75 * Math.PI))) / 2, 15);
  });

  it("matches PyTorch's OneCycleLR: max/25 at the start, the max after 30% of the steps, max/25e4 at the end", () => {
    const config = { ...base, schedule: 'one-cycle', epochs: 10 } as const;
    // 100 steps: the warm-up phase ends at step 0.3 * 100 - 1 = 29, the annealing phase at step 99.
    expect(learningRateAt(config, 0, 0, 10)).toBeCloseTo(0.004, 15);
    expect(learningRateAt(config, 2, 9, 10)).toBeCloseTo(0.1, 15);
    expect(learningRateAt(config, 9, 9, 10)).toBeCloseTo(0.1 / 25 / 1e4, 15);
    // Half way through the warm-up the cosine is at the midpoint.
    expect(learningRateAt(config, 1, 4.5, 10)).toBeCloseTo((0.004 + 0.1) / 2, 12);
  });

  it('keeps a constant rate', () => {
    expect(learningRateAt({ ...base, schedule: 'constant' }, 120, 3, 10)).toBe(0.1);
  });
});
