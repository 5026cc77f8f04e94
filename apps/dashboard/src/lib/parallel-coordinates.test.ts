// Compare's parallel-coordinates scales: where each run lands on each axis, which values are labelled, and the
// colour of its line.
import { describe, expect, it } from 'vitest';
import { accuracyAxis, accuracyColor, hyperparameterAxis, parallelAxes } from './parallel-coordinates';

describe('hyperparameterAxis', () => {
  it('places numbers linearly between the smallest and the largest', () => {
    expect(hyperparameterAxis('epochs', ['8', '2', '4', '8'])).toEqual({
      name: 'epochs',
      scale: 'linear',
      positions: [1, 0, 1 / 3, 1],
      ticks: [
        { label: '2', position: 0 },
        { label: '4', position: 1 / 3 },
        { label: '8', position: 1 },
      ],
    });
  });

  it('places positive numbers spanning more than a factor of 10 by their logarithm', () => {
    const axis = hyperparameterAxis('learningRate', ['0.1', '0.001', '0.01']);
    expect(axis.scale).toBe('log');
    expect(axis.positions[0]).toBe(1);
    expect(axis.positions[1]).toBe(0);
    expect(axis.positions[2]).toBeCloseTo(0.5, 12);
    expect(axis.ticks.map((tick) => tick.label)).toEqual(['0.001', '0.01', '0.1']);
    // Exactly 10 times is still linear; 0 is never on a log axis.
    expect(hyperparameterAxis('learningRate', ['0.1', '0.01']).scale).toBe('linear');
    expect(hyperparameterAxis('weightDecay', ['0', '0.0005', '0.5']).positions).toEqual([0, 0.001, 1]);
  });

  it('labels only the ends of an axis with more than 6 distinct numbers', () => {
    const axis = hyperparameterAxis('seed', ['0', '1', '2', '3', '4', '5', '6']);
    expect(axis.ticks).toEqual([
      { label: '0', position: 0 },
      { label: '6', position: 1 },
    ]);
    expect(axis.positions).toEqual([0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1]);
  });

  it('spaces other values evenly in sorted order', () => {
    expect(hyperparameterAxis('schedule', ['step', 'cosine', 'one-cycle', 'cosine'])).toEqual({
      name: 'schedule',
      scale: 'category',
      positions: [1, 0, 0.5, 0],
      ticks: [
        { label: 'cosine', position: 0 },
        { label: 'one-cycle', position: 0.5 },
        { label: 'step', position: 1 },
      ],
    });
    expect(hyperparameterAxis('milestones', ['50, 75', '', '9, 10']).positions).toEqual([1, 0, 0.5]);
    expect(hyperparameterAxis('augment', ['true', 'false']).positions).toEqual([1, 0]);
  });
});

describe('accuracyAxis', () => {
  it('runs from the lowest accuracy to the highest, and leaves out runs without one', () => {
    expect(accuracyAxis([0.5, null, 0.75, 0.625])).toEqual({
      name: 'best test accuracy',
      scale: 'linear',
      positions: [0, null, 1, 0.5],
      ticks: [
        { label: '50.0%', position: 0 },
        { label: '75.0%', position: 1 },
      ],
    });
    expect(accuracyAxis([0.5, 0.5]).positions).toEqual([0.5, 0.5]);
    expect(accuracyAxis([null, null])).toEqual({
      name: 'best test accuracy',
      scale: 'linear',
      positions: [null, null],
      ticks: [],
    });
  });
});

describe('parallelAxes', () => {
  it('has the differing hyperparameters in order, then best test accuracy', () => {
    const axes = parallelAxes(
      [
        { name: 'epochs', values: ['8', '2'], differs: true },
        { name: 'batchSize', values: ['32', '32'], differs: false },
        { name: 'schedule', values: ['cosine', 'step'], differs: true },
      ],
      [0.25, 0.5],
    );
    expect(axes.map((axis) => [axis.name, axis.positions])).toEqual([
      ['epochs', [1, 0]],
      ['schedule', [0, 1]],
      ['best test accuracy', [0, 1]],
    ]);
  });
});

describe('accuracyColor', () => {
  it('goes from red through amber to blue, and is grey without an accuracy', () => {
    expect([0, 0.25, 0.5, 1].map(accuracyColor)).toEqual(['#dc2626', '#e36d17', '#eab308', '#2563eb']);
    expect(accuracyColor(null)).toBe('#9ca3af');
  });
});
