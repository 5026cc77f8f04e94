// `npm run bench:yardstick`: issue 14's yardstick. For each seed, one epoch of the seed's recipe (ResNet18, batch 128,
// lr 0.1, momentum 0.9, weight decay 5e-4, crop + flip, per-channel normalization) by `resnet-lab train` and by PyTorch
// (pytorch/yardstick.py) on the same split of the shared CIFAR-10 training JPEGs (the last 10% of each class held
// out); prints every run, each tool's mean and spread over the seeds, and the seed's own epoch-0 figures. Without
// python3-torch it says how to install it and runs resnet-lab only. Exit code 0 whatever the figures, 1 when
// something broke, 130 when interrupted. At full size each run takes 15 minutes or more on two cores.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { userCacheDirectory } from '@resnet-lab/trainer';
import { SHARED_CIFAR10_JPG_ARCHIVE, cifar10JpgFolder } from './cifar10-jpg-folder.js';
import { stopProcessesOnSignals, stopRunningProcesses } from './run-process.js';
import { DEFAULT_PYTHON, pytorchArguments, pytorchUnavailableReason, runPytorch } from './run-pytorch.js';
import { resnetLabTrainArguments, runResnetLab } from './run-resnet-lab.js';
import { SEED_EPOCH_0, formatRunsTable, formatSummaryTable, summarizeYardstick } from './yardstick-summary.js';
import {
  YARDSTICK_TOOLS,
  type YardstickResult,
  type YardstickSettings,
  type YardstickTool,
} from './yardstick-result.js';

const USAGE = `Usage: npm run bench:yardstick -- [options]

  --seeds <a,b,..>         seeds, each trained once by each tool (default 0,1,2)
  --tools <a,b>            ${YARDSTICK_TOOLS.join(', ')} (default both)
  --width <w>              ResNet18 filter multiplier (default 1, the seed's)
  --limit-per-class <n>    first n images of each class only (default all 5,000)
  --test-fraction <f>      share of each class held out (default 0.1: 45,000 training, 5,000 held-out images)
  --data <dir>             an image folder of class subfolders instead of the shared CIFAR-10 JPEGs
  --archive <file>         the CIFAR-10 JPEG archive (default ${SHARED_CIFAR10_JPG_ARCHIVE})
  --cache-dir <dir>        where the archive is extracted (default ${path.join(userCacheDirectory(), 'datasets')})
  --python <path>          Python with torch and PIL (default ${DEFAULT_PYTHON})
  --threads <n>            PyTorch's threads (default ${os.availableParallelism()}, the CPUs here)
  --out <file.json>        also write settings, runs and summary as JSON
`;

interface BenchOptions {
  readonly seeds: readonly number[];
  readonly tools: readonly YardstickTool[];
  readonly width: number;
  readonly limitPerClass: number | null;
  readonly testFraction: number;
  readonly data: string | undefined;
  readonly archive: string;
  readonly cacheDir: string;
  readonly python: string;
  readonly threads: number;
  readonly out: string | undefined;
}

async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const started = performance.now();
  let tools = options.tools;
  let pytorchSkipped: string | null = null;
  if (tools.includes('pytorch')) {
    pytorchSkipped = await pytorchUnavailableReason(options.python);
    if (pytorchSkipped !== null) {
      tools = tools.filter((tool) => tool !== 'pytorch');
      if (tools.length === 0) {
        console.error(`Cannot run PyTorch: ${pytorchSkipped}.`);
        return 1;
      }
      console.error(`PyTorch runs skipped: ${pytorchSkipped}. Running resnet-lab only.`);
    }
  }

  const data =
    options.data ??
    (await cifar10JpgFolder(options.archive, options.cacheDir, (archive, destination) =>
      console.error(`Extracting ${archive} into ${destination} (once)...`),
    ));
  const settings: YardstickSettings = {
    data,
    width: options.width,
    testFraction: options.testFraction,
    limitPerClass: options.limitPerClass,
  };
  const runDirectory = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-yardstick-'));
  console.log(
    `Yardstick: ResNet18 width ${settings.width}, 1 epoch, batch 128, lr 0.1, momentum 0.9, weight decay 5e-4, on ` +
      `${settings.data} (${settings.limitPerClass === null ? 'all' : `first ${settings.limitPerClass}`} images per ` +
      `class, last ${settings.testFraction * 100}% of each held out); seeds ${options.seeds.join(', ')}.`,
  );
  if (tools.includes('resnet-lab')) {
    console.log(`  resnet-lab ${resnetLabTrainArguments(settings, options.seeds[0]!).join(' ')}`);
  }
  if (tools.includes('pytorch')) {
    console.log(`  ${options.python} ${pytorchArguments(settings, options.seeds[0]!, options.threads).join(' ')}`);
  }

  const results: YardstickResult[] = [];
  try {
    for (const seed of options.seeds) {
      for (const tool of tools) {
        const progress = (line: string) => console.error(`${tool} seed ${seed}: ${line}`);
        const result =
          tool === 'resnet-lab'
            ? await runResnetLab(settings, seed, path.join(runDirectory, `resnet-lab-${seed}`), progress)
            : await runPytorch(options.python, settings, seed, options.threads, progress);
        results.push(result);
        console.error(
          `${tool} seed ${seed}: train accuracy ${result.trainAccuracy.toFixed(4)}, held-out accuracy ` +
            `${result.testAccuracy.toFixed(4)} (${result.seconds.toFixed(0)} s; ${result.detail})`,
        );
      }
    }
  } finally {
    await fs.rm(runDirectory, { recursive: true, force: true });
  }

  const first = results[0]!;
  const summaries = summarizeYardstick(results);
  console.log();
  console.log(formatRunsTable(`Runs (${first.trainImages} training, ${first.testImages} held-out images)`, results));
  console.log();
  console.log(formatSummaryTable('Over seeds', summaries));
  for (const tool of tools) {
    console.log(`  ${tool}: ${results.find((result) => result.tool === tool)!.detail}`);
  }
  if (pytorchSkipped !== null) console.log(`  pytorch: skipped, ${pytorchSkipped}`);
  if (options.out !== undefined) {
    const record = { settings, seeds: options.seeds, results, summaries, seedEpoch0: SEED_EPOCH_0, pytorchSkipped };
    await fs.writeFile(options.out, `${JSON.stringify(record, null, 2)}\n`);
    console.log(`  Written to ${options.out}.`);
  }
  console.log(`\nDone in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  return 0;
}

function parseOptions(args: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args,
    options: {
      seeds: { type: 'string', default: '0,1,2' },
      tools: { type: 'string', default: YARDSTICK_TOOLS.join(',') },
      width: { type: 'string', default: '1' },
      'limit-per-class': { type: 'string' },
      'test-fraction': { type: 'string', default: '0.1' },
      data: { type: 'string' },
      archive: { type: 'string', default: SHARED_CIFAR10_JPG_ARCHIVE },
      'cache-dir': { type: 'string', default: path.join(userCacheDirectory(), 'datasets') },
      python: { type: 'string', default: DEFAULT_PYTHON },
      threads: { type: 'string', default: String(os.availableParallelism()) },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const tools = values.tools.split(',');
  const unknownTool = tools.find((tool) => !(YARDSTICK_TOOLS as readonly string[]).includes(tool));
  if (unknownTool !== undefined || tools.length === 0) {
    throw new UsageError(`Expected --tools to list ${YARDSTICK_TOOLS.join(', ')}, got '${values.tools}'.`);
  }
  const testFraction = numberOption('test-fraction', values['test-fraction']);
  // Both tools accept up to 0.9; the yardstick needs held-out images.
  if (testFraction <= 0 || testFraction > 0.9) {
    throw new UsageError(`Expected --test-fraction to be above 0 and at most 0.9, got ${testFraction}.`);
  }
  return {
    seeds: values.seeds.split(',').map((seed) => integerOption('seeds', seed, 0)),
    tools: [...new Set(tools as YardstickTool[])],
    width: numberOption('width', values.width),
    limitPerClass:
      values['limit-per-class'] === undefined ? null : integerOption('limit-per-class', values['limit-per-class'], 1),
    testFraction,
    data: values.data,
    archive: values.archive,
    cacheDir: values['cache-dir'],
    python: values.python,
    threads: integerOption('threads', values.threads, 1),
    out: values.out,
  };
}

class UsageError extends Error {
  override name = 'UsageError';
}

function numberOption(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`Expected --${name} to be a positive number, got '${text}'.`);
  }
  return value;
}

function integerOption(name: string, text: string, min: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min) {
    throw new UsageError(`Expected --${name} to be integers of at least ${min}, got '${text}'.`);
  }
  return value;
}

stopProcessesOnSignals();

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    stopRunningProcesses();
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    console.error('The yardstick benchmark failed:', error);
    process.exitCode = 1;
  },
);
