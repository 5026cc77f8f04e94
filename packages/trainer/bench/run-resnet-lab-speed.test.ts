// `resnet-lab bench --json` as the vs-pytorch benchmark runs it: thread count from the environment, every step timed.
import { describe, expect, it } from 'vitest';
import { resnetLabBenchArguments, resnetLabThreadEnvironment, runResnetLabSpeed } from './run-resnet-lab-speed.js';

describe('resnetLabThreadEnvironment', () => {
  it("gives wasm and oneDNN's OpenMP the same threads, wasm at most 8", () => {
    expect(resnetLabThreadEnvironment(2)).toEqual({ RESNET_LAB_WASM_THREADS: '2', OMP_NUM_THREADS: '2' });
    expect(resnetLabThreadEnvironment(16)).toEqual({ RESNET_LAB_WASM_THREADS: '8', OMP_NUM_THREADS: '16' });
  });
});

describe('runResnetLabSpeed', () => {
  it('runs resnet-lab bench on wasm with one thread and returns the seconds of each timed step', async () => {
    const settings = {
      arch: 'resnet18',
      width: 0.125,
      batchSize: 2,
      steps: 2,
      forwardSteps: 3,
      backend: 'wasm',
    } as const;
    expect(resnetLabBenchArguments(settings).join(' ')).toBe(
      'bench --json --arch resnet18 --width 0.125 --stem cifar --classes 10 --input 32 --batch-size 2 --steps 2 ' +
        '--forward-steps 3 --backend wasm',
    );
    const output = await runResnetLabSpeed(settings, 1);
    expect(output).toMatchObject({ arch: 'resnet18', width: 0.125, batchSize: 2 });
    expect(output.backend.name).toBe('wasm');
    expect(output.backend.device).toMatch(/^CPU \(wasm, 1 thread\b/);
    expect(output.trainStepSeconds).toHaveLength(2);
    expect(output.forwardStepSeconds).toHaveLength(3);
  });
});
