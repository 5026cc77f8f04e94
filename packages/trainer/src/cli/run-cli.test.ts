import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { exitCode, stdout, stderr };
}

describe('resnet-lab summary', () => {
  it('prints one JSON object with the configuration, totals and stages', async () => {
    const { exitCode, stdout, stderr } = await run(
      'summary',
      '--arch',
      'resnet50',
      '--stem',
      'imagenet',
      '--classes',
      '1000',
      '--json',
    );
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' });
    const summary = JSON.parse(stdout) as Record<string, unknown> & { stages: { name: string }[] };
    expect(summary).toMatchObject({
      arch: 'resnet50',
      stem: 'imagenet',
      classes: 1000,
      inputSize: 224,
      width: 1,
      trainableParams: 25_557_032,
      totalParams: 25_610_152,
      macs: 4_089_184_256,
    });
    expect(summary.stages.map((stage) => stage.name)).toEqual([
      'conv1',
      'conv2_x',
      'conv3_x',
      'conv4_x',
      'conv5_x',
      'fc',
    ]);
  });

  it('prints the per-stage table and the totals', async () => {
    const { exitCode, stdout } = await run('summary', '--arch', 'resnet18', '--width', '0.5', '--input', '64');
    expect(exitCode).toBe(0);
    expect(stdout).toBe(
      [
        'resnet18 (basic blocks), cifar stem, 10 classes, 64x64 input, width 0.5',
        '',
        'layer    output  channels  blocks  structure                        params         MACs',
        'conv1     64x64        32       -  3x3, 32, stride 1                   928    3,538,944',
        'conv2_x   64x64        32       2  [3x3, 32; 3x3, 32] x 2           37,120  150,994,944',
        'conv3_x   32x32        64       2  [3x3, 64; 3x3, 64] x 2          131,712  134,217,728',
        'conv4_x   16x16       128       2  [3x3, 128; 3x3, 128] x 2        525,568  134,217,728',
        'conv5_x     8x8       256       2  [3x3, 256; 3x3, 256] x 2      2,099,712  134,217,728',
        'fc          1x1        10       -  global average pool, 10-d fc      2,570        2,560',
        '',
        'Trainable parameters: 2,797,610',
        'Total parameters:     2,802,410 (4,800 batch-norm running statistics)',
        'MACs per image:       0.56 G (557,189,632, convolutions and linear)',
        '',
      ].join('\n'),
    );
  });

  it.each([
    [
      ['--arch', 'resnet19'],
      "resnet-lab summary: Unknown architecture 'resnet19'. Allowed: resnet18, resnet34, resnet50, resnet101, resnet152.\n",
    ],
    [['--classes', 'ten'], "resnet-lab summary: Expected --classes to be a number, got 'ten'.\n"],
    [['--width=-1'], 'resnet-lab summary: Expected width to be a number from 0.015625 (1 filter) to 8, got -1.\n'],
    [
      ['--stem', 'imagenet', '--input', '16'],
      'resnet-lab summary: Expected inputSize to be an integer from 32 to 1024 for the imagenet stem, got 16.\n',
    ],
  ])('exits 2 for %j with a message naming what is allowed', async (args, message) => {
    expect(await run('summary', ...args)).toEqual({ exitCode: 2, stdout: '', stderr: message });
  });

  it('exits 2 for an unknown option and shows the usage', async () => {
    const { exitCode, stderr } = await run('summary', '--depth', '18');
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/^resnet-lab summary: Unknown option '--depth'/);
    expect(stderr).toContain('Usage: resnet-lab summary --arch <arch>');
  });
});

describe('resnet-lab', () => {
  it('exits 2 for an unknown command, listing the commands', async () => {
    expect(await run('fly')).toEqual({
      exitCode: 2,
      stdout: '',
      stderr:
        "Unknown command 'fly'. Allowed: train, eval, predict, import, export, bench, dataset, summary, doctor.\n",
    });
  });

  it('prints the usage for --help and exits 0', async () => {
    const { exitCode, stdout } = await run('--help');
    expect(exitCode).toBe(0);
    expect(stdout).toContain('Usage: resnet-lab <command> [options]');
    expect(stdout).toContain('  doctor     which backends load and why not, Node and npm versions, the database\n');
  });
});

describe('resnet-lab doctor', () => {
  it('refuses an argument, saying it takes only --json', async () => {
    expect(await run('doctor', 'gpu')).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: "resnet-lab doctor: Unexpected argument 'gpu': doctor takes only --json.\n",
    });
  });

  it('prints its usage for --help', async () => {
    const { exitCode, stdout } = await run('doctor', '--help');
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^Usage: resnet-lab doctor \[--json\]\n/);
  });
});
