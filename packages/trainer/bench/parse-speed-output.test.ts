import { describe, expect, it } from 'vitest';
import { SpeedOutputError, parsePytorchSpeedOutput, parseResnetLabBenchOutput } from './parse-speed-output.js';

// As `resnet-lab bench --json` prints it (figures shortened).
const RESNET_LAB_LINE = JSON.stringify({
  backend: {
    name: 'wasm',
    device: 'CPU (wasm, 2 threads, SIMD; oneDNN 2.6.3 kernels)',
    package: '@tensorflow/tfjs-backend-wasm',
    gpu: false,
  },
  arch: 'resnet18',
  width: 1,
  inputSize: 32,
  batchSize: 32,
  macsPerImage: 555422720,
  trainImagesPerSecond: 30.5,
  trainGflops: 101.6,
  forwardImagesPerSecond: 88,
  forwardGflops: 97.7,
  stepSeconds: [1.03, 1.04],
  forwardSeconds: [0.36, 0.37, 0.35],
  tensorBytes: 44700000,
});

// As pytorch/speed.py prints it.
const PYTORCH_LINE = JSON.stringify({
  tool: 'pytorch',
  memoryFormat: 'channels_last',
  arch: 'resnet18',
  stem: 'cifar',
  width: 1,
  classes: 10,
  inputSize: 32,
  batchSize: 128,
  threads: 2,
  warmupSteps: 1,
  trainStepSeconds: [1.7, 1.8],
  forwardStepSeconds: [0.5],
  torch: '1.13.0a0',
  onednn: '2.6.3',
  cpuCapability: null,
});

describe('parseResnetLabBenchOutput', () => {
  it("keeps the backend, the model and each step's seconds", () => {
    expect(parseResnetLabBenchOutput(RESNET_LAB_LINE)).toEqual({
      arch: 'resnet18',
      width: 1,
      batchSize: 32,
      trainStepSeconds: [1.03, 1.04],
      forwardStepSeconds: [0.36, 0.37, 0.35],
      backend: { name: 'wasm', device: 'CPU (wasm, 2 threads, SIMD; oneDNN 2.6.3 kernels)' },
    });
  });

  it('names the field that is missing or wrong, with the line', () => {
    // A resnet-lab from before forwardSeconds was reported.
    const old = JSON.stringify({ ...JSON.parse(RESNET_LAB_LINE), forwardSeconds: undefined });
    expect(() => parseResnetLabBenchOutput(old)).toThrow(
      new SpeedOutputError(
        `Expected resnet-lab bench --json to print forwardSeconds as a non-empty list of positive seconds, got nothing in: ${old}`,
      ),
    );
    const noDevice = RESNET_LAB_LINE.replace('"device":', '"where":');
    expect(() => parseResnetLabBenchOutput(noDevice)).toThrow(
      new SpeedOutputError(
        `Expected resnet-lab bench --json to print backend.device as a string, got nothing in: ${noDevice}`,
      ),
    );
  });

  it('refuses a line that is not a JSON object, with the line', () => {
    expect(() => parseResnetLabBenchOutput('Benchmarking on wasm...')).toThrow(
      new SpeedOutputError('Expected resnet-lab bench --json to print a JSON object, got: Benchmarking on wasm...'),
    );
    expect(() => parseResnetLabBenchOutput('[1, 2]')).toThrow(
      new SpeedOutputError('Expected resnet-lab bench --json to print a JSON object, got: [1, 2]'),
    );
  });
});

describe('parsePytorchSpeedOutput', () => {
  it("keeps the layout, the versions and each step's seconds", () => {
    expect(parsePytorchSpeedOutput(PYTORCH_LINE)).toEqual({
      memoryFormat: 'channels_last',
      arch: 'resnet18',
      width: 1,
      batchSize: 128,
      threads: 2,
      trainStepSeconds: [1.7, 1.8],
      forwardStepSeconds: [0.5],
      torch: '1.13.0a0',
      onednn: '2.6.3',
      cpuCapability: null,
    });
  });

  it('refuses an unknown layout, a zero step time and a fractional batch size', () => {
    const nhwc = PYTORCH_LINE.replace('"channels_last"', '"nhwc"');
    expect(() => parsePytorchSpeedOutput(nhwc)).toThrow(
      new SpeedOutputError(
        `Expected pytorch/speed.py to print memoryFormat as one of nchw, channels_last, got "nhwc" in: ${nhwc}`,
      ),
    );
    const zero = PYTORCH_LINE.replace('[1.7,1.8]', '[1.7,0]');
    expect(() => parsePytorchSpeedOutput(zero)).toThrow(
      new SpeedOutputError(
        `Expected pytorch/speed.py to print trainStepSeconds as a non-empty list of positive seconds, got [1.7,0] in: ${zero}`,
      ),
    );
    const fraction = PYTORCH_LINE.replace('"batchSize":128', '"batchSize":12.5');
    expect(() => parsePytorchSpeedOutput(fraction)).toThrow(
      new SpeedOutputError(
        `Expected pytorch/speed.py to print batchSize as a positive integer, got 12.5 in: ${fraction}`,
      ),
    );
  });

  it('carries the code and the JSON error as cause', () => {
    let caught: unknown;
    try {
      parsePytorchSpeedOutput('{"tool":');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpeedOutputError);
    expect((caught as SpeedOutputError).code).toBe('SPEED_OUTPUT_INVALID');
    expect((caught as SpeedOutputError).cause).toBeInstanceOf(SyntaxError);
  });
});
