import { describe, expect, it } from 'vitest';
import { DEFAULT_PYTHON } from './run-pytorch.js';
import { VsPytorchUsageError, parseVsPytorchOptions, vsPytorchUsage } from './vs-pytorch-options.js';

describe('parseVsPytorchOptions', () => {
  it('defaults to ResNet18 width 1 at batch 32 and 128 on every CPU', () => {
    expect(parseVsPytorchOptions([], 6)).toEqual({
      arch: 'resnet18',
      width: 1,
      batchSizes: [32, 128],
      steps: 5,
      forwardSteps: 10,
      threads: 6,
      backend: 'auto',
      python: DEFAULT_PYTHON,
      out: undefined,
    });
  });

  it('reads every option', () => {
    const args = [
      ...['--batch-sizes', '64,8,64', '--steps', '1', '--forward-steps', '2', '--arch', 'resnet34'],
      ...['--width', '0.5', '--threads', '3', '--backend', 'wasm', '--python', '/opt/py', '--out', 'speed.json'],
    ];
    expect(parseVsPytorchOptions(args, 2)).toEqual({
      arch: 'resnet34',
      width: 0.5,
      batchSizes: [64, 8],
      steps: 1,
      forwardSteps: 2,
      threads: 3,
      backend: 'wasm',
      python: '/opt/py',
      out: 'speed.json',
    });
  });

  it('answers help', () => {
    expect(parseVsPytorchOptions(['--help'], 2)).toBe('help');
    expect(parseVsPytorchOptions(['-h'], 2)).toBe('help');
    expect(vsPytorchUsage(4)).toContain("(default 4, the CPUs here; resnet-lab's wasm uses at most 8)");
  });

  it.each([
    [['--steps', '0'], "Expected --steps to be a positive integer, got '0'."],
    [['--forward-steps', '1.5'], "Expected --forward-steps to be a positive integer, got '1.5'."],
    [['--threads', ''], "Expected --threads to be a positive integer, got ''."],
    [
      ['--batch-sizes', '32,,128'],
      "Expected --batch-sizes to be positive integers separated by commas, got '32,,128'.",
    ],
    [['--batch-sizes', '32,x'], "Expected --batch-sizes to be positive integers separated by commas, got '32,x'."],
    [['--width', '0'], "Expected --width to be a number above 0 and at most 8, got '0'."],
    [
      ['--arch', 'resnet20'],
      "Expected --arch to be one of resnet18, resnet34, resnet50, resnet101, resnet152, got 'resnet20'.",
    ],
    [['--backend', 'gpu'], "Expected --backend to be one of auto, tensorflow, wasm, cpu, got 'gpu'."],
  ])('refuses %j', (args, message) => {
    expect(() => parseVsPytorchOptions(args, 2)).toThrow(new VsPytorchUsageError(message));
  });

  it("refuses an unknown option with Node's message", () => {
    // Node's wording past the option's name differs between versions.
    expect(() => parseVsPytorchOptions(['--step', '3'], 2)).toThrow(VsPytorchUsageError);
    expect(() => parseVsPytorchOptions(['--step', '3'], 2)).toThrow(/^Unknown option '--step'/);
  });
});
