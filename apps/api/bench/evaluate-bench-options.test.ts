import { describe, expect, it } from 'vitest';
import { EvaluateBenchUsageError, parseEvaluateBenchOptions } from './evaluate-bench-options.js';

describe('parseEvaluateBenchOptions', () => {
  it('defaults to 10,000 images, 3 evaluations and 10 forward passes on the shared CIFAR-10 JPEGs', () => {
    expect(parseEvaluateBenchOptions([])).toEqual({
      images: 10_000,
      evaluations: 3,
      forwardPasses: 10,
      data: undefined,
    });
  });

  it('reads every option', () => {
    const args = ['--images', '500', '--evaluations', '1', '--forward-passes', '4', '--data', '/data/cifar/train'];
    expect(parseEvaluateBenchOptions(args)).toEqual({
      images: 500,
      evaluations: 1,
      forwardPasses: 4,
      data: '/data/cifar/train',
    });
  });

  it('answers help', () => {
    expect(parseEvaluateBenchOptions(['--help'])).toBe('help');
    expect(parseEvaluateBenchOptions(['-h'])).toBe('help');
  });

  it.each([
    [['--images', '0'], "Expected --images to be a positive integer, got '0'."],
    [['--images', '2.5'], "Expected --images to be a positive integer, got '2.5'."],
    [['--evaluations', ''], "Expected --evaluations to be a positive integer, got ''."],
    [['--forward-passes', 'ten'], "Expected --forward-passes to be a positive integer, got 'ten'."],
  ])('refuses %j', (args, message) => {
    expect(() => parseEvaluateBenchOptions(args)).toThrow(new EvaluateBenchUsageError(message));
  });

  it('refuses an unknown option and a positional argument, with code BAD_USAGE', () => {
    for (const args of [['--image', '5'], ['500']]) {
      let thrown: unknown;
      try {
        parseEvaluateBenchOptions(args);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(EvaluateBenchUsageError);
      expect((thrown as EvaluateBenchUsageError).code).toBe('BAD_USAGE');
    }
  });
});
