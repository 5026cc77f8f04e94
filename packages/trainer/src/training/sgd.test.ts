import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SgdOptimizer } from './sgd.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Two steps of the optimizer on a single parameter p = 1 with a constant gradient of 0.5. */
function twoSteps(options: { momentum: number; weightDecay: number; nesterov: boolean }): number[] {
  const variable = tf.variable(tf.scalar(1));
  const optimizer = new SgdOptimizer(options);
  const values: number[] = [];
  for (let step = 0; step < 2; step++) {
    const gradient = tf.scalar(0.5);
    optimizer.step([{ name: 'p', variable }], { [variable.name]: gradient }, 0.1);
    gradient.dispose();
    values.push(variable.dataSync()[0]!);
  }
  optimizer.dispose();
  variable.dispose();
  return values;
}

describe('SgdOptimizer', () => {
  it('adds weight decay to the gradient before momentum, as torch.optim.SGD', () => {
    // step 1: d = 0.5 + 0.1 * 1 = 0.6, buf = d, p = 1 - 0.1 * 0.6 = 0.94
    // step 2: d = 0.5 + 0.1 * 0.94 = 0.594, buf = 0.9 * 0.6 + 0.594 = 1.134, p = 0.94 - 0.1134 = 0.8266
    const [first, second] = twoSteps({ momentum: 0.9, weightDecay: 0.1, nesterov: false });
    expect(first).toBeCloseTo(0.94, 6);
    expect(second).toBeCloseTo(0.8266, 6);
  });

  it('applies Nesterov momentum as d + momentum * buf', () => {
    // step 1: d = 0.6, buf = 0.6, p = 1 - 0.1 * (0.6 + 0.54) = 0.886
    const [first] = twoSteps({ momentum: 0.9, weightDecay: 0.1, nesterov: true });
    expect(first).toBeCloseTo(0.886, 6);
  });

  it('is plain gradient descent without momentum and decay', () => {
    expect(twoSteps({ momentum: 0, weightDecay: 0, nesterov: false })).toEqual([
      expect.closeTo(0.95, 6),
      expect.closeTo(0.9, 6),
    ]);
  });

  it('restores momentum buffers so that a resumed optimizer continues identically', () => {
    const run = (restoreAfterFirst: boolean) => {
      const variable = tf.variable(tf.scalar(1));
      let optimizer = new SgdOptimizer({ momentum: 0.9, weightDecay: 0, nesterov: false });
      const gradient = tf.scalar(0.5);
      optimizer.step([{ name: 'p', variable }], { [variable.name]: gradient }, 0.1);
      if (restoreAfterFirst) {
        const saved = new Map([...optimizer.state()].map(([name, tensor]) => [name, tensor.clone()]));
        optimizer.dispose();
        optimizer = new SgdOptimizer({ momentum: 0.9, weightDecay: 0, nesterov: false });
        optimizer.restore(saved);
        saved.forEach((tensor) => tensor.dispose());
      }
      optimizer.step([{ name: 'p', variable }], { [variable.name]: gradient }, 0.1);
      const value = variable.dataSync()[0]!;
      tf.dispose([variable, gradient]);
      optimizer.dispose();
      return value;
    };
    expect(run(true)).toBe(run(false));
  });
});
