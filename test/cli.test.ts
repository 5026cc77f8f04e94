// The resnet-lab executable as a user runs it from the repository root: `npx resnet-lab ...`.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'node_modules', '.bin', 'resnet-lab');

async function resnetLab(...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(bin, args, { cwd: root });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { exitCode: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
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
});
