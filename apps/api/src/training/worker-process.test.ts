import { describe, expect, it } from 'vitest';
import { threadsPerRun } from './worker-process.js';

describe('threadsPerRun', () => {
  it('leaves one run at a time every core', () => {
    expect(threadsPerRun(1, 16, {})).toEqual({});
  });

  it("gives concurrent runs an equal share of the cores, for wasm's threads and oneDNN's", () => {
    expect(threadsPerRun(2, 16, {})).toEqual({ RESNET_LAB_WASM_THREADS: '8', OMP_NUM_THREADS: '8' });
    expect(threadsPerRun(3, 16, {})).toEqual({ RESNET_LAB_WASM_THREADS: '5', OMP_NUM_THREADS: '5' });
    // More runs than cores: one thread each, at least.
    expect(threadsPerRun(4, 2, {})).toEqual({ RESNET_LAB_WASM_THREADS: '1', OMP_NUM_THREADS: '1' });
  });

  it('keeps what the operator set', () => {
    expect(threadsPerRun(2, 16, { OMP_NUM_THREADS: '3' })).toEqual({ RESNET_LAB_WASM_THREADS: '8' });
    expect(threadsPerRun(2, 16, { RESNET_LAB_WASM_THREADS: '2', OMP_NUM_THREADS: '2' })).toEqual({});
  });
});
