import { describe, expect, it } from 'vitest';
import { formatRange, formatVsPytorchReport, vsPytorchRows, type VsPytorchReport } from './format-vs-pytorch-report.js';

const range = (median: number, min: number, max: number) => ({ median, min, max, steps: 3 });

const MEASURED: VsPytorchReport = {
  model: 'ResNet18 width 1, CIFAR stem, 10 classes, random 32x32 batches',
  rows: [
    {
      kind: 'training',
      batchSize: 32,
      resnetLab: range(30.61, 30.14, 31.02),
      pytorch: { nchw: range(50.2, 49, 51.3), channels_last: range(55, 54.1, 56.2) },
    },
    {
      kind: 'training',
      batchSize: 128,
      resnetLab: range(83.6, 80, 85),
      pytorch: { nchw: range(62, 61.7, 64.3), channels_last: range(76, 70.9, 77.5) },
    },
    {
      kind: 'inference',
      batchSize: 128,
      resnetLab: range(240, 240, 240),
      pytorch: { nchw: range(300, 290, 310), channels_last: range(240, 231.2, 276.6) },
    },
  ],
  steps: 3,
  forwardSteps: 1,
  machine: 'AMD EPYC, 2 CPUs, AVX-512; Linux x64; Node v20.19.0',
  resnetLab: {
    backend: 'wasm',
    device: 'CPU (wasm, 2 threads, SIMD; oneDNN 2.6.3 kernels)',
    threads: 'RESNET_LAB_WASM_THREADS=2 OMP_NUM_THREADS=2',
  },
  pytorch: { torch: '1.13.0a0', onednn: '2.6.3', cpuCapability: 'AVX2', threads: 2 },
  commands: {
    benchmark: 'npm run bench:vs-pytorch -- --steps 3 --forward-steps 1 --batch-sizes 32,128',
    batchSize: 32,
    resnetLab: 'RESNET_LAB_WASM_THREADS=2 OMP_NUM_THREADS=2 npx resnet-lab bench --json --batch-size 32',
    pytorch: '/usr/bin/python3 pytorch/speed.py --batch-size 32 --memory-format nchw',
  },
};

describe('formatVsPytorchReport', () => {
  it('puts each tool side by side with the ratio to the faster PyTorch layout and the verdict', () => {
    expect(formatVsPytorchReport(MEASURED)).toBe(
      `## resnet-lab vs PyTorch: ResNet18 width 1, CIFAR stem, 10 classes, random 32x32 batches

| images/s  | batch |       resnet-lab |        PyTorch NCHW | PyTorch channels_last | resnet-lab / best PyTorch | target                | met         |
| --------- | ----: | ---------------: | ------------------: | --------------------: | ------------------------: | --------------------- | ----------- |
| training  |    32 | 30.6 (30.1-31.0) |    50.2 (49.0-51.3) |      55.0 (54.1-56.2) |     0.56x (channels_last) | >= 1.1x channels_last | no (0.56x)  |
| training  |   128 | 83.6 (80.0-85.0) |    62.0 (61.7-64.3) |      76.0 (70.9-77.5) |     1.10x (channels_last) | >= 1.1x channels_last | yes (1.10x) |
| inference |   128 |            240.0 | 300.0 (290.0-310.0) |   240.0 (231.2-276.6) |              0.80x (nchw) | >= 1.0x channels_last | yes (1.00x) |

- Method: per tool and batch size, in its own process, 1 warm-up step then 3 timed training steps (forward, cross-entropy, backward, SGD with momentum 0.9 and weight decay 5e-4) and 1 timed forward pass (inference mode); each cell is the median images/s of the timed steps, slowest-fastest in brackets.
- Machine: AMD EPYC, 2 CPUs, AVX-512; Linux x64; Node v20.19.0.
- resnet-lab: backend wasm, CPU (wasm, 2 threads, SIMD; oneDNN 2.6.3 kernels); RESNET_LAB_WASM_THREADS=2 OMP_NUM_THREADS=2.
- PyTorch: torch 1.13.0a0, oneDNN 2.6.3, CPU capability AVX2; torch.set_num_threads(2).
- Command: \`npm run bench:vs-pytorch -- --steps 3 --forward-steps 1 --batch-sizes 32,128\`; at batch 32 it runs \`RESNET_LAB_WASM_THREADS=2 OMP_NUM_THREADS=2 npx resnet-lab bench --json --batch-size 32\`, \`/usr/bin/python3 pytorch/speed.py --batch-size 32 --memory-format nchw\` and the same with --memory-format channels_last.
`,
    );
  });
});

describe('formatVsPytorchReport without PyTorch', () => {
  it('leaves the PyTorch columns empty and says how to install it', () => {
    const report: VsPytorchReport = {
      ...MEASURED,
      rows: [{ kind: 'training', batchSize: 32, resnetLab: range(30.61, 30.14, 31.02), pytorch: null }],
      pytorch: { skipped: '/usr/bin/python3 cannot import torch: apt-get install python3-torch' },
      commands: { ...MEASURED.commands, pytorch: null },
    };
    const lines = formatVsPytorchReport(report).split('\n');
    expect(lines.slice(2, 5)).toEqual([
      '| images/s | batch |       resnet-lab | PyTorch NCHW | PyTorch channels_last | resnet-lab / best PyTorch | target | met |',
      '| -------- | ----: | ---------------: | -----------: | --------------------: | ------------------------: | ------ | --- |',
      '| training |    32 | 30.6 (30.1-31.0) |            - |                     - |                         - | -      | -   |',
    ]);
    expect(lines.slice(9)).toEqual([
      '- PyTorch: not measured (/usr/bin/python3 cannot import torch: apt-get install python3-torch). To measure it too: `sudo apt-get install python3-torch`, then run this again.',
      '- Command: `npm run bench:vs-pytorch -- --steps 3 --forward-steps 1 --batch-sizes 32,128`; at batch 32 it runs `RESNET_LAB_WASM_THREADS=2 OMP_NUM_THREADS=2 npx resnet-lab bench --json --batch-size 32`.',
      '',
    ]);
  });
});

describe('formatRange', () => {
  it('gives the median and the range to one decimal, or one figure where they agree', () => {
    expect(formatRange(range(57.04, 56.06, 59.55))).toBe('57.0 (56.1-59.5)');
    expect(formatRange(range(57.04, 57.01, 57.049))).toBe('57.0');
  });
});

describe('vsPytorchRows', () => {
  it('gives training rows, then inference rows, in the order of the batch sizes', () => {
    const seconds = (train: number[], forward: number[]) => ({
      batchSize: 0,
      trainStepSeconds: train,
      forwardStepSeconds: forward,
    });
    const rows = vsPytorchRows([
      {
        batchSize: 32,
        resnetLab: seconds([1, 0.5, 2], [0.25]),
        pytorch: { nchw: seconds([0.5], [0.125, 0.25]), channels_last: seconds([0.25], [0.125]) },
      },
      { batchSize: 128, resnetLab: seconds([4], [1, 2]), pytorch: null },
    ]);
    const one = (imagesPerSecond: number) => range(imagesPerSecond, imagesPerSecond, imagesPerSecond);
    expect(rows).toEqual([
      {
        kind: 'training',
        batchSize: 32,
        resnetLab: { median: 32, min: 16, max: 64, steps: 3 },
        pytorch: { nchw: { ...one(64), steps: 1 }, channels_last: { ...one(128), steps: 1 } },
      },
      { kind: 'training', batchSize: 128, resnetLab: { ...one(32), steps: 1 }, pytorch: null },
      {
        kind: 'inference',
        batchSize: 32,
        resnetLab: { ...one(128), steps: 1 },
        pytorch: { nchw: { median: 192, min: 128, max: 256, steps: 2 }, channels_last: { ...one(256), steps: 1 } },
      },
      { kind: 'inference', batchSize: 128, resnetLab: { median: 96, min: 64, max: 128, steps: 2 }, pytorch: null },
    ]);
  });
});
