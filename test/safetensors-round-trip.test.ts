// PyTorch -> safetensors -> resnet-lab -> safetensors -> PyTorch gives back every tensor bit for bit (issue 14):
// pytorch/round_trip.py exports trained state_dicts of resnet18 (cifar stem) and resnet50 (imagenet stem); resnet-lab
// loads each into its own ResNet (loadStateDict), exports it (exportStateDict, writeSafetensors), and PyTorch loads
// that file with load_state_dict(strict=True) and compares every tensor with the original, bytes included.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildResNet, exportStateDict, loadStateDict, readSafetensors, writeSafetensors } from '@resnet-lab/resnet';
import { useBackend } from '@resnet-lab/trainer';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../pytorch/round_trip.py', import.meta.url));
const torchReady = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!torchReady) {
  console.warn(`Skipping the safetensors round trip: ${PYTHON} cannot import torch (apt-get install python3-torch).`);
}

/** round_trip.py's MODELS. */
interface ModelDescription {
  readonly arch: string;
  readonly stem: string;
  readonly width: number;
  readonly classes: number;
  readonly input_size: number;
}

/** round_trip.py compare's JSON report. */
interface CompareReport {
  readonly model: string;
  readonly metadata: Record<string, string>;
  readonly tensors: number;
  readonly loaded: boolean;
  readonly error?: string;
  readonly compared?: number;
  readonly different?: readonly { key: string; dtype: string; max_abs_difference: number }[];
  readonly num_batches_tracked?: { original: number[]; candidate: number[] };
  readonly equal: boolean;
}

/** [model name, state_dict entries, batch norms] as PyTorch counts them. */
const CASES = [
  // 20 convolutions and the linear layer (weight, bias); 20 batch norms of 5 entries each.
  ['resnet18-cifar', 122, 20],
  // 53 convolutions and the linear layer; 53 batch norms.
  ['resnet50-imagenet', 320, 53],
] as const;

const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
let root: string;
let models: Record<string, ModelDescription>;
beforeAll(async () => {
  if (!torchReady) return;
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'safetensors-round-trip-'));
  await promisify(execFile)(PYTHON, [SCRIPT, 'export', root], { env });
  models = JSON.parse(await fs.readFile(path.join(root, 'models.json'), 'utf8')) as Record<string, ModelDescription>;
  await useBackend();
}, 120_000);
afterAll(async () => {
  if (root !== undefined) await fs.rm(root, { recursive: true, force: true });
});

/** Runs round_trip.py compare; it exits 1 when a tensor differs, with the same report on stdout. */
async function compare(name: string, original: string, candidate: string): Promise<CompareReport> {
  const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, 'compare', original, candidate, '--name', name], {
    env,
  }).catch((error: { code?: number; stdout?: string }) => {
    if (error.code === 1 && error.stdout) return { stdout: error.stdout };
    throw error;
  });
  return JSON.parse(stdout) as CompareReport;
}

/** resnet-lab's copy of PyTorch's file: loaded into its ResNet, exported and written as safetensors. */
async function throughResnetLab(name: string): Promise<string> {
  const model = models[name]!;
  const original = readSafetensors(new Uint8Array(await fs.readFile(path.join(root, `${name}.safetensors`))));
  const resnet = buildResNet({
    arch: model.arch,
    stem: model.stem,
    width: model.width,
    classes: model.classes,
    inputSize: model.input_size,
  });
  loadStateDict(resnet, original.tensors);
  const bytes = writeSafetensors(exportStateDict(resnet), { arch: model.arch, stem: model.stem });
  resnet.dispose();
  const file = path.join(root, `${name}.resnet-lab.safetensors`);
  await fs.writeFile(file, bytes);
  return file;
}

describe.skipIf(!torchReady)('safetensors round trip PyTorch -> resnet-lab -> PyTorch', () => {
  it.each(CASES)('gives back every tensor of %s bit for bit', async (name, entries, batchNorms) => {
    const candidate = await throughResnetLab(name);
    const report = await compare(name, path.join(root, `${name}.safetensors`), candidate);
    expect(report).toEqual({
      model: name,
      metadata: { arch: models[name]!.arch, stem: models[name]!.stem },
      tensors: entries,
      loaded: true,
      compared: entries - batchNorms,
      different: [],
      // PyTorch counted its 3 training steps; resnet-lab does not count batches and writes 0.
      num_batches_tracked: { original: [3], candidate: [0] },
      equal: true,
    });
  });

  it('notices a single flipped bit, naming the tensor', async () => {
    const name = 'resnet18-cifar';
    const file = await throughResnetLab(name);
    const parsed = readSafetensors(new Uint8Array(await fs.readFile(file)));
    const weight = parsed.tensors.get('layer3.1.conv2.weight')!;
    const flipped = new Map(parsed.tensors);
    const data = Uint8Array.from(weight.data);
    data[0]! ^= 1; // the lowest mantissa bit of the first value
    flipped.set('layer3.1.conv2.weight', { ...weight, data });
    const changed = path.join(root, `${name}.flipped.safetensors`);
    await fs.writeFile(changed, writeSafetensors(flipped, parsed.metadata));
    const report = await compare(name, path.join(root, `${name}.safetensors`), changed);
    expect(report.equal).toBe(false);
    expect(report.different?.map(({ key, dtype }) => ({ key, dtype }))).toEqual([
      { key: 'layer3.1.conv2.weight', dtype: 'torch.float32' },
    ]);
  });
});
