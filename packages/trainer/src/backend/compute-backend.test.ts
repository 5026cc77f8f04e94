import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BACKEND_CHOICES,
  BackendUnavailableError,
  UnknownBackendError,
  availableBackends,
  useBackend,
  type BackendChoice,
} from './compute-backend.js';

const require = createRequire(import.meta.url);
function isInstalled(packageName: string): boolean {
  try {
    require.resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

/** npm skips the native backends where their install cannot download libtensorflow, as in this sandbox. */
const nativeInstalled = isInstalled('@tensorflow/tfjs-node-gpu') || isInstalled('@tensorflow/tfjs-node');

beforeEach(async () => {
  await tf.setBackend('cpu');
});

describe('useBackend', () => {
  it('lists the choices fastest first', () => {
    expect(BACKEND_CHOICES).toEqual(['auto', 'tensorflow', 'wasm', 'cpu']);
  });

  it.skipIf(nativeInstalled)('picks wasm with its training kernels where no native backend is installed', async () => {
    expect(await availableBackends()).toEqual(['wasm', 'cpu']);
    expect(await useBackend()).toEqual({
      name: 'wasm',
      // oneDNN computes convolutions and element-wise arithmetic where its addon is built (onednn-kernels.test.ts).
      device: expect.stringMatching(
        /^CPU \(wasm, \d+ threads?, (SIMD|no SIMD)(; oneDNN \d+\.\d+\.\d+ kernels)?\)$/,
      ) as unknown,
      package: '@tensorflow/tfjs-backend-wasm',
      gpu: false,
    });
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it.runIf(nativeInstalled)('picks libtensorflow where a native backend is installed', async () => {
    expect(await availableBackends()).toEqual(['tensorflow', 'wasm', 'cpu']);
    expect(await useBackend('auto')).toMatchObject({
      name: 'tensorflow',
      package: expect.stringMatching(/^@tensorflow\/tfjs-node/) as unknown,
    });
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it.skipIf(nativeInstalled)(
    'refuses tensorflow where neither native package loads, saying why and what can run',
    async () => {
      const error = await useBackend('tensorflow').then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(BackendUnavailableError);
      expect(error).toMatchObject({ backend: 'tensorflow', available: ['wasm', 'cpu'] });
      expect((error as Error).message).toMatch(
        /^Backend 'tensorflow' is not available: @tensorflow\/tfjs-node-gpu and @tensorflow\/tfjs-node could not be loaded \([^;]*'@tensorflow\/tfjs-node-gpu'[^;]*; [^;]*'@tensorflow\/tfjs-node'[^;]*\)\. Available: wasm, cpu\.$/,
      );
      expect((error as Error).cause).toBeInstanceOf(AggregateError);
      expect(tf.getBackend()).toBe('cpu');
    },
  );

  it('activates the cpu backend on request', async () => {
    await useBackend('wasm');
    expect(await useBackend('cpu')).toEqual({
      name: 'cpu',
      device: 'CPU (JavaScript)',
      package: '@tensorflow/tfjs-backend-cpu',
      gpu: false,
    });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('can be called again with the same answer', async () => {
    const first = await useBackend('wasm');
    expect(await useBackend('wasm')).toEqual(first);
    expect(tf.getBackend()).toBe('wasm');
    // The training kernels still run after a second registration.
    const gradient = tf.grad((filter) =>
      tf.sum(tf.conv2d(tf.ones<tf.Rank.R4>([1, 4, 4, 1]), filter as tf.Tensor4D, 1, 'valid')),
    );
    expect(Array.from(gradient(tf.ones([3, 3, 1, 1])).dataSync())).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 4]);
  });

  it('rejects an unknown choice, listing the allowed ones', async () => {
    const error = await useBackend('gpu' as BackendChoice).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(UnknownBackendError);
    expect((error as Error).message).toBe("Expected backend to be one of auto, tensorflow, wasm, cpu, got 'gpu'.");
  });
});
