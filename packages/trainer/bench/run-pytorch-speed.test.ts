// pytorch/speed.py on the seed's ResNet18 at batch 2, one step of each kind: what it prints and how it is read.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parsePytorchSpeedOutput } from './parse-speed-output.js';
import { pytorchSpeedArguments } from './run-pytorch-speed.js';

const PYTHON = '/usr/bin/python3';
const torchReady = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!torchReady)
  console.warn(`Skipping pytorch/speed.py tests: ${PYTHON} cannot import torch (apt-get install python3-torch).`);

describe.skipIf(!torchReady)('pytorch/speed.py', () => {
  it('prints one JSON line with the settings, the versions and the seconds of each timed step', () => {
    const settings = { arch: 'resnet18', width: 1, batchSize: 2, steps: 1, forwardSteps: 2 } as const;
    const run = spawnSync(PYTHON, pytorchSpeedArguments({ ...settings, memoryFormat: 'channels_last' }, 1), {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const printed = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(printed)).toEqual([
      'tool',
      'memoryFormat',
      'arch',
      'stem',
      'width',
      'classes',
      'inputSize',
      'batchSize',
      'threads',
      'warmupSteps',
      'trainStepSeconds',
      'forwardStepSeconds',
      'torch',
      'onednn',
      'cpuCapability',
    ]);
    expect(printed).toMatchObject({ tool: 'pytorch', stem: 'cifar', classes: 10, inputSize: 32, warmupSteps: 1 });

    const output = parsePytorchSpeedOutput(lines[0]!);
    expect(output).toMatchObject({
      memoryFormat: 'channels_last',
      arch: 'resnet18',
      width: 1,
      batchSize: 2,
      threads: 1,
    });
    expect(output.trainStepSeconds).toHaveLength(1);
    expect(output.forwardStepSeconds).toHaveLength(2);
    // A ResNet18 step at batch 2 takes milliseconds on any CPU, not minutes.
    for (const seconds of [...output.trainStepSeconds, ...output.forwardStepSeconds]) expect(seconds).toBeLessThan(10);
    expect(output.torch).toMatch(/^\d+\.\d+/);
    expect(output.onednn).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
