import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImageFolder } from '../../test-support/index.js';
import { MODEL_JSON } from '../model-directory.js';
import { readCheckpointMetadata } from '../training/checkpoint.js';
import { runCli } from './run-cli.js';

let root: string;
let data: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'train-command-'));
  data = path.join(root, 'data');
  await writeImageFolder(data, { classNames: ['circle', 'square'], perClass: 5 });
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function resnetLab(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { exitCode, stdout, stderr };
}

const TINY_RUN = ['--data', '', '--width', '0.0625', '--batch-size', '8', '--backend', 'wasm', '--json'];

function tinyRun(out: string, ...options: string[]): string[] {
  return ['train', ...TINY_RUN.map((value) => value || data), '--out', out, ...options];
}

function startEventOf(stdout: string): unknown {
  return JSON.parse(stdout.split('\n')[0]!);
}

describe('resnet-lab train --init', () => {
  it('exits 2 naming the allowed schemes for an unknown one', async () => {
    const run = await resnetLab(...tinyRun(path.join(root, 'unknown'), '--epochs', '1', '--init', 'kaiming'));
    expect(run).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: "resnet-lab train: Expected init to be one of pytorch-default, torchvision, got 'kaiming'.\n",
    });
  });

  it('lists the option in its usage', async () => {
    const { stdout } = await resnetLab('train', '--help');
    expect(stdout).toContain('  --init <scheme>        weight initialization: pytorch-default');
  });

  it.each([
    [[], 'cifar', 'pytorch-default'],
    [['--stem', 'imagenet'], 'imagenet', 'torchvision'],
    [['--init', 'torchvision'], 'cifar', 'torchvision'],
  ])(
    'with %j trains a %s-stem model initialized with %s, recorded in the start event and checkpoint',
    async (options, stem, init) => {
      const out = path.join(root, `run-${stem}-${init}`);
      const run = await resnetLab(...tinyRun(out, '--epochs', '1', ...options));
      expect(run.stderr).toBe('');
      expect(run.exitCode).toBe(0);
      expect(startEventOf(run.stdout)).toMatchObject({ kind: 'start', init });
      const metadata = await readCheckpointMetadata(path.join(out, 'checkpoints', 'last'));
      expect(metadata.config).toMatchObject({ stem, init });
    },
  );

  it("keeps a resumed checkpoint's init, and torchvision's for a checkpoint from before the option", async () => {
    const out = path.join(root, 'resumed');
    const first = await resnetLab(...tinyRun(out, '--epochs', '1', '--init', 'torchvision'));
    expect(first.exitCode).toBe(0);
    const last = path.join(out, 'checkpoints', 'last');

    const resumed = await resnetLab(...tinyRun(out, '--epochs', '2', '--resume', last, '--init', 'pytorch-default'));
    expect(resumed.stderr).toBe('');
    expect(startEventOf(resumed.stdout)).toMatchObject({ kind: 'start', firstEpoch: 2, init: 'torchvision' });
    expect((await readCheckpointMetadata(last)).config).toMatchObject({ epochs: 2, init: 'torchvision' });

    // A checkpoint written before the option: its config has no init.
    const modelJson = path.join(last, MODEL_JSON);
    const written = JSON.parse(await fs.readFile(modelJson, 'utf8')) as {
      userDefinedMetadata: { config: Record<string, unknown> };
    };
    delete written.userDefinedMetadata.config['init'];
    await fs.writeFile(modelJson, JSON.stringify(written));
    const old = await resnetLab(...tinyRun(out, '--epochs', '3', '--resume', last));
    expect(old.stderr).toBe('');
    expect(startEventOf(old.stdout)).toMatchObject({ kind: 'start', firstEpoch: 3, init: 'torchvision' });
    expect((await readCheckpointMetadata(last)).config?.init).toBe('torchvision');
  });
});
