import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeFakeNativePackage } from '../../test-support/fake-native-package.js';
import { missingBuildNeeds } from '../../native/build-needs.js';
import { createBackendSelector } from '../backend/compute-backend.js';
import { packageResolver } from '../backend/resolve-package.js';
import { diagnoseBackends } from './diagnose-backends.js';

/** Where `npm install` built the oneDNN addon (onednn-kernels.test.ts checks that it did). */
const BUILDABLE = missingBuildNeeds().length === 0;

let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-doctor-'));
  writeFakeNativePackage(path.join(root, 'node_modules'), '@tensorflow/tfjs-node-gpu');
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function selector() {
  return createBackendSelector({ resolvePackage: packageResolver(path.join(root, 'index.js')), notify: () => {} });
}

describe('diagnoseBackends', () => {
  it('lists each backend fastest first, with why the native ones do not load and the command that fixes each', async () => {
    const [gpu, cpuNative, wasm, cpu, ...rest] = await diagnoseBackends(selector());
    expect(rest).toEqual([]);
    expect(gpu).toEqual({
      kind: 'native GPU',
      backend: 'tensorflow',
      package: '@tensorflow/tfjs-node-gpu',
      version: '4.22.0',
      loads: false,
      device: null,
      reason:
        '@tensorflow/tfjs-node-gpu is installed without its native library (lib/napi-v8/tfjs_binding.node is missing)',
      fix: "npm rebuild @tensorflow/tfjs-node-gpu, with internet access (its install script downloads libtensorflow; package.json's allowScripts lets it run)",
      auto: false,
    });
    expect(cpuNative).toEqual({
      kind: 'native CPU',
      backend: 'tensorflow',
      package: '@tensorflow/tfjs-node',
      version: null,
      loads: false,
      device: null,
      reason: '@tensorflow/tfjs-node is not installed',
      fix: 'npm install with internet access, on Linux x86_64, macOS or Windows (its install script downloads libtensorflow; npm leaves the optional package out where that fails)',
      auto: false,
    });
    expect(wasm).toMatchObject({ kind: 'wasm', version: '4.22.0', loads: true, auto: true });
    expect(cpu).toEqual({
      kind: 'cpu',
      backend: 'cpu',
      package: '@tensorflow/tfjs-backend-cpu',
      version: '4.22.0',
      loads: true,
      device: 'CPU (JavaScript)',
      reason: null,
      fix: null,
      auto: false,
    });
  });

  it.runIf(BUILDABLE)(
    'finds the oneDNN kernels on wasm where the addon is built, and says how to turn them back on',
    async () => {
      const wasm = (await diagnoseBackends(selector()))[2]!;
      const version = wasm.wasm?.oneDnn.active === true ? wasm.wasm.oneDnn.version : 'none';
      expect(wasm.reason).toBeNull();
      expect(wasm.device).toBe(
        `CPU (wasm, ${wasm.wasm?.threads} thread${wasm.wasm?.threads === 1 ? '' : 's'}, ${wasm.wasm?.simd ? 'SIMD' : 'no SIMD'}; oneDNN ${version} kernels)`,
      );
      vi.stubEnv('RESNET_LAB_ONEDNN', '0');
      try {
        expect((await diagnoseBackends(selector()))[2]).toMatchObject({
          loads: true,
          reason: 'no oneDNN kernels: RESNET_LAB_ONEDNN=0',
          fix: 'unset RESNET_LAB_ONEDNN',
          wasm: { oneDnn: { active: false, reason: 'RESNET_LAB_ONEDNN=0' } },
        });
      } finally {
        vi.unstubAllEnvs();
      }
    },
  );
});
