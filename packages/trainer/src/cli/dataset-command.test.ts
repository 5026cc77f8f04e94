import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSyntheticDataset, writeCifar10Binary } from '../data/index.js';
import { datasetCommand } from './dataset-command.js';
import { UsageError } from './usage-error.js';

async function run(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = await datasetCommand(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { exitCode, stdout, stderr };
}

let directory: string;
beforeEach(async () => {
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'dataset-command-'));
});
afterEach(async () => {
  await fs.rm(directory, { recursive: true, force: true });
});

describe('resnet-lab dataset info', () => {
  it('prints the format, image size and images per class', async () => {
    expect(await run('info', 'synthetic')).toEqual({
      exitCode: 0,
      stderr: '',
      stdout: [
        'location    synthetic',
        'format      synthetic',
        'image size  32x32',
        'classes     10',
        'train       1,000 images',
        'test        200 images',
        '',
        'class               train  test',
        'horizontal-stripes    100    20',
        'vertical-stripes      100    20',
        'diagonal-stripes      100    20',
        'checkerboard          100    20',
        'dots                  100    20',
        'grid                  100    20',
        'disc                  100    20',
        'ring                  100    20',
        'cross                 100    20',
        'plain                 100    20',
        '',
      ].join('\n'),
    });
  });

  it('prints one JSON object with --json', async () => {
    await writeCifar10Binary(directory, makeSyntheticDataset({ classes: 2, trainCount: 6, testCount: 3 }));
    const { exitCode, stdout } = await run('info', directory, '--json');
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      location: directory,
      format: 'cifar10-binary',
      classNames: ['horizontal-stripes', 'vertical-stripes'],
      height: 32,
      width: 32,
      trainCount: 6,
      testCount: 3,
      trainPerClass: [3, 3],
      // Labels are index % classes before shuffling: 0, 1, 0.
      testPerClass: [2, 1],
    });
  });
});

describe('resnet-lab dataset download', () => {
  it('downloads into --out, reports progress on stderr and prints the directory', async () => {
    const source = path.join(directory, 'source');
    await writeCifar10Binary(
      path.join(source, 'cifar-10-batches-bin'),
      makeSyntheticDataset({ trainCount: 5, testCount: 1 }),
    );
    const archive = path.join(directory, 'cifar.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', source, 'cifar-10-batches-bin']);
    const bytes = await fs.readFile(archive);
    const server = http.createServer((_, response) =>
      response.writeHead(200, { 'content-length': bytes.byteLength }).end(bytes),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cifar.tar.gz`;
      const out = path.join(directory, 'out');
      const md5 = createHash('md5').update(bytes).digest('hex');
      const downloaded = await run('download', 'cifar10', '--out', out, '--url', url, '--md5', md5);
      const folder = path.join(out, 'cifar-10-batches-bin');
      const size = (bytes.byteLength / 1_000_000).toFixed(1);
      expect(downloaded).toEqual({
        exitCode: 0,
        stdout: `${folder}\n`,
        stderr:
          `Downloading CIFAR-10 from ${url} into ${out}\n` +
          `  ${size} MB of ${size} MB (100%)\n` +
          'Checksum verified, archive extracted.\n',
      });
      expect((await run('info', folder)).stdout).toContain('train       5 images\n');

      // A complete dataset is not downloaded again.
      expect(await run('download', 'cifar10', '--out', out, '--url', url)).toEqual({
        exitCode: 0,
        stdout: `${folder}\n`,
        stderr: `CIFAR-10 is already in ${folder}; nothing downloaded.\n`,
      });

      // The official checksum does not match this archive.
      await expect(run('download', 'cifar10', '--out', path.join(directory, 'other'), '--url', url)).rejects.toThrow(
        `its md5 is ${md5}, expected c32a1d4ab5d03f1284b67883e8d87530.`,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('resnet-lab dataset usage', () => {
  it.each([
    [[], 'Missing subcommand. Allowed: download, info.'],
    [['list'], "Unknown subcommand 'list'. Allowed: download, info."],
    [['download'], 'Missing the dataset to download. Allowed: cifar10.'],
    [['download', 'mnist'], "Unknown dataset 'mnist'. Allowed: cifar10."],
    [['info'], "Missing <location>: 'synthetic', a CIFAR-10 binary directory or an image folder."],
    [['info', 'a', 'b'], "Unexpected argument 'b' after 'info a'."],
    [['download', 'cifar10', '--md5', 'abc'], "Expected --md5 to be 32 hexadecimal digits, got 'abc'."],
  ])('rejects %j', async (args, message) => {
    await expect(run(...args)).rejects.toThrow(new UsageError(message));
  });

  it('leaves unknown options to parseArgs, whose error the dispatcher shows with the usage', async () => {
    await expect(run('info', 'synthetic', '--out', 'x')).rejects.toMatchObject({
      code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
    });
  });

  it('prints the usage for --help', async () => {
    const { exitCode, stdout } = await run('--help');
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(
      /^Usage: resnet-lab dataset download cifar10 \[--out <dir>\] \[--url <url>\] \[--md5 <hex>\]\n/,
    );
  });
});
