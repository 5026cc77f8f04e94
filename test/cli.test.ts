// The resnet-lab executable as a user runs it from the repository root: `npx resnet-lab ...`.
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { writeFakeNativePackage } from '@resnet-lab/trainer/test-support';
import { missingBuildNeeds } from '../packages/trainer/native/build-needs.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'node_modules', '.bin', 'resnet-lab');

async function resnetLab(...args: string[]) {
  return resnetLabWith(process.env, args);
}

async function resnetLabWith(env: NodeJS.ProcessEnv, args: string[]) {
  try {
    // The Node that runs the tests, not the first on PATH: doctor reports its version.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: root, env });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { exitCode: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const trainerRequire = createRequire(path.join(root, 'packages', 'trainer', 'package.json'));
function isInstalled(packageName: string): boolean {
  try {
    trainerRequire.resolve(`${packageName}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** npm leaves the native backends out where their install cannot download libtensorflow, as on this project's CI. */
const nativeInstalled = isInstalled('@tensorflow/tfjs-node-gpu') || isInstalled('@tensorflow/tfjs-node');
const nvidiaSmiInstalled = (process.env['PATH'] ?? '')
  .split(path.delimiter)
  .some((directory) => directory !== '' && fs.existsSync(path.join(directory, 'nvidia-smi')));
/** The oneDNN that `npm install` built the addon against, where libdnnl-dev is installed. */
const oneDnnHeader = '/usr/include/oneapi/dnnl/dnnl_version.h';
const oneDnnVersion = fs.existsSync(oneDnnHeader)
  ? ['MAJOR', 'MINOR', 'PATCH']
      .map((part) => new RegExp(`#define DNNL_VERSION_${part} (\\d+)`).exec(fs.readFileSync(oneDnnHeader, 'utf8'))![1])
      .join('.')
  : null;

/** The environment of a user who runs resnet-lab directly, without npm's variables and the API's. */
function plainEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['npm_config_user_agent', 'DATABASE_URL', 'NODE_PATH', 'RESNET_LAB_ONEDNN']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

describe('resnet-lab executable', () => {
  it('prints the summary of resnet152 as JSON', async () => {
    const { exitCode, stdout } = await resnetLab('summary', '--arch', 'resnet152', '--stem', 'imagenet', '--json');
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      arch: 'resnet152',
      classes: 1000,
      inputSize: 224,
      trainableParams: 60_192_808,
    });
  });

  it('exits non-zero with the allowed architectures for an unknown one', async () => {
    const { exitCode, stderr } = await resnetLab('summary', '--arch', 'vgg16');
    expect(exitCode).toBe(2);
    expect(stderr).toBe(
      "resnet-lab summary: Unknown architecture 'vgg16'. Allowed: resnet18, resnet34, resnet50, resnet101, resnet152.\n",
    );
  });

  it.runIf(missingBuildNeeds().length === 0)(
    'exits with code 2 and the algorithms for an unknown RESNET_LAB_CONVOLUTION',
    async () => {
      const env = { ...process.env, RESNET_LAB_CONVOLUTION: 'fast' };
      const args = ['bench', '--width', '0.0625', '--steps', '1', '--forward-steps', '1', '--backend', 'wasm'];
      expect(await resnetLabWith(env, args)).toEqual({
        exitCode: 2,
        stdout: '',
        stderr: "resnet-lab bench: RESNET_LAB_CONVOLUTION must be one of direct, auto, winograd, got 'fast'.\n",
      });
    },
  );
});

describe('resnet-lab doctor', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-doctor-'));
  });

  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(nativeInstalled)(
    'finds wasm with the oneDNN kernels, no native backend and why, the versions and the database, field by field',
    async () => {
      const { exitCode, stdout, stderr } = await resnetLabWith(plainEnv({ DATA_DIR: dataDir }), ['doctor', '--json']);
      expect(stderr).toBe('');
      expect(exitCode).toBe(0);
      const report = JSON.parse(stdout) as Record<string, unknown> & { backends: Record<string, unknown>[] };
      const [gpu, cpuNative, wasm, cpu, ...rest] = report.backends;
      expect(rest).toEqual([]);
      expect(gpu).toEqual({
        kind: 'native GPU',
        backend: 'tensorflow',
        package: '@tensorflow/tfjs-node-gpu',
        version: null,
        loads: false,
        device: null,
        reason: '@tensorflow/tfjs-node-gpu is not installed',
        fix: 'npm install with internet access, on Linux x86_64 with an NVIDIA driver, CUDA 11.2 and cuDNN 8.1 (its install script downloads libtensorflow; npm leaves the optional package out where that fails)',
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
      const threads = Math.min(os.availableParallelism(), 8);
      const threadWord = `${threads} thread${threads === 1 ? '' : 's'}`;
      expect(wasm).toEqual(
        oneDnnVersion === null
          ? expect.objectContaining({ kind: 'wasm', loads: true, auto: true })
          : {
              kind: 'wasm',
              backend: 'wasm',
              package: '@tensorflow/tfjs-backend-wasm',
              version: '4.22.0',
              loads: true,
              device: `CPU (wasm, ${threadWord}, SIMD; oneDNN ${oneDnnVersion} kernels)`,
              reason: null,
              fix: null,
              wasm: { threads, simd: true, oneDnn: { active: true, version: oneDnnVersion } },
              auto: true,
            },
      );
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
      expect(report['auto']).toBe('wasm');
      expect(report['machine']).toEqual({
        cpu: { model: os.cpus()[0]!.model.trim(), cores: os.availableParallelism() },
        gpus: nvidiaSmiInstalled
          ? { names: expect.arrayContaining([expect.any(String)]) as unknown, reason: null }
          : { names: [], reason: 'nvidia-smi not found (it comes with the NVIDIA driver)' },
      });
      const engines = (
        JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
          engines: { node: string; npm?: string };
        }
      ).engines;
      expect(report['node']).toEqual({ version: process.version, required: engines.node, supported: true });
      expect(report['npm']).toEqual({
        version: execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim(),
        from: 'npm --version',
        required: engines.npm ?? null,
        supported: engines.npm === undefined ? null : true,
      });
      expect(report['database']).toEqual({
        kind: 'embedded',
        dataDir,
        directory: path.join(dataDir, 'postgres'),
        created: false,
        running: false,
        pid: null,
        port: null,
        owner: null,
      });
    },
  );

  it('prints aligned lines, the backend auto picks marked', async () => {
    const { exitCode, stdout } = await resnetLabWith(
      plainEnv({ DATA_DIR: dataDir, DATABASE_URL: 'postgresql://lab:s3cret@db.internal:5432/resnet_lab' }),
      ['doctor'],
    );
    expect(exitCode).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.filter((line) => line.endsWith('<- --backend auto'))).toHaveLength(1);
    expect(lines.at(-2)).toBe('database    DATABASE_URL postgresql://lab:***@db.internal:5432/resnet_lab');
    expect(lines.at(-1)).toBe('');
  });
});

describe('resnet-lab where npm 12 installed the native packages without their library', () => {
  let nodeModules: string;

  beforeEach(() => {
    nodeModules = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-npm12-')), 'node_modules');
    writeFakeNativePackage(nodeModules, '@tensorflow/tfjs-node-gpu');
    writeFakeNativePackage(nodeModules, '@tensorflow/tfjs-node');
  });

  afterEach(() => {
    fs.rmSync(path.dirname(nodeModules), { recursive: true, force: true });
  });

  // NODE_PATH is the last place Node looks: where the packages are really installed, the fakes are not reached.
  it.skipIf(nativeInstalled)('says why in one line on stderr, trains on wasm, and prints nothing else', async () => {
    const { exitCode, stdout, stderr } = await resnetLabWith(plainEnv({ NODE_PATH: nodeModules }), [
      'bench',
      '--json',
      '--width',
      '0.125',
      '--batch-size',
      '1',
      '--steps',
      '1',
      '--forward-steps',
      '1',
    ]);
    expect(stderr).toBe(
      "@tensorflow/tfjs-node-gpu and @tensorflow/tfjs-node are installed without their native library (lib/napi-v8/tfjs_binding.node is missing): running on wasm. To use the GPU, run their install scripts: npm rebuild @tensorflow/tfjs-node-gpu @tensorflow/tfjs-node (they download libtensorflow; package.json's allowScripts lets them run).\n",
    );
    expect(exitCode).toBe(0);
    expect((JSON.parse(stdout) as { backend: { name: string } }).backend.name).toBe('wasm');
  });

  it.skipIf(nativeInstalled)('lists them in doctor with the command that fixes each', async () => {
    const { exitCode, stdout, stderr } = await resnetLabWith(plainEnv({ NODE_PATH: nodeModules }), ['doctor']);
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(stdout.split('\n').slice(0, 4)).toEqual([
      'native GPU  no   @tensorflow/tfjs-node-gpu is installed without its native library (lib/napi-v8/tfjs_binding.node is missing)',
      "                 fix: npm rebuild @tensorflow/tfjs-node-gpu, with internet access (its install script downloads libtensorflow; package.json's allowScripts lets it run)",
      'native CPU  no   @tensorflow/tfjs-node is installed without its native library (lib/napi-v8/tfjs_binding.node is missing)',
      "                 fix: npm rebuild @tensorflow/tfjs-node, with internet access (its install script downloads libtensorflow; package.json's allowScripts lets it run)",
    ]);
  });
});
