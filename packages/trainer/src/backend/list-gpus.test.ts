import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listGpus } from './list-gpus.js';

let directory: string;

/** An executable standing in for nvidia-smi. */
function fakeNvidiaSmi(name: string, script: string): string {
  const file = path.join(directory, name);
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return file;
}

beforeAll(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-gpus-'));
});

afterAll(() => {
  fs.rmSync(directory, { recursive: true, force: true });
});

describe('listGpus', () => {
  it("lists nvidia-smi's GPU names, one per line", async () => {
    const command = fakeNvidiaSmi('two-gpus', 'printf "NVIDIA H200\\nNVIDIA H200\\n"');
    expect(await listGpus(command)).toEqual({ names: ['NVIDIA H200', 'NVIDIA H200'], reason: null });
  });

  it('says nvidia-smi is missing where there is no NVIDIA driver', async () => {
    const command = path.join(directory, 'nvidia-smi');
    expect(await listGpus(command)).toEqual({
      names: [],
      reason: `${command} not found (it comes with the NVIDIA driver)`,
    });
  });

  it('passes on what a failing nvidia-smi says', async () => {
    const command = fakeNvidiaSmi(
      'no-driver',
      `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."; exit 9`,
    );
    expect(await listGpus(command)).toEqual({
      names: [],
      reason: `${command} failed (exit code 9): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.`,
    });
  });

  it('says so where nvidia-smi lists none', async () => {
    const command = fakeNvidiaSmi('none', 'exit 0');
    expect(await listGpus(command)).toEqual({ names: [], reason: `${command} lists no GPU` });
  });
});
