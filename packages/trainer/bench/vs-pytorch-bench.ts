// `npm run bench:vs-pytorch`: issue 15's side-by-side benchmark. For each batch size, training and inference
// images/s of the seed's ResNet18 on random 32x32 batches by resnet-lab (`resnet-lab bench --json`, on the fastest
// backend here) and by PyTorch in NCHW and channels_last (pytorch/speed.py), each in its own process with the same
// thread count, one after the other; prints a markdown table with the ratio to the faster PyTorch layout and whether
// the issue's targets are met, then the method, the machine and the commands. Without python3-torch it measures
// resnet-lab alone and says how to install PyTorch. Exit code 0 whatever the figures, 1 when something broke, 2 for
// a command line it cannot run, 130 when interrupted.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  INSTALL_PYTORCH,
  formatVsPytorchReport,
  vsPytorchRows,
  type VsPytorchMeasurement,
} from './format-vs-pytorch-report.js';
import {
  PYTORCH_MEMORY_FORMATS,
  type PytorchMemoryFormat,
  type PytorchSpeedOutput,
  type ResnetLabBenchOutput,
} from './parse-speed-output.js';
import { stopProcessesOnSignals, stopRunningProcesses } from './run-process.js';
import { pytorchUnavailableReason } from './run-pytorch.js';
import { SPEED_SCRIPT, pytorchSpeedArguments, runPytorchSpeed } from './run-pytorch-speed.js';
import { resnetLabBenchArguments, resnetLabThreadEnvironment, runResnetLabSpeed } from './run-resnet-lab-speed.js';
import { throughputRange } from './throughput-range.js';
import { VsPytorchUsageError, parseVsPytorchOptions, vsPytorchUsage } from './vs-pytorch-options.js';

async function main(args: string[]): Promise<number> {
  const cpus = os.availableParallelism();
  const options = parseVsPytorchOptions(args, cpus);
  if (options === 'help') {
    console.log(vsPytorchUsage(cpus));
    return 0;
  }
  const started = performance.now();
  const pytorchSkipped = await pytorchUnavailableReason(options.python, ['torch']);
  if (pytorchSkipped !== null) {
    console.error(
      `PyTorch not measured (${pytorchSkipped}); measuring resnet-lab only. To measure it too: ${INSTALL_PYTORCH}.`,
    );
  }

  const measurements: VsPytorchMeasurement[] = [];
  let backend: ResnetLabBenchOutput['backend'] | undefined;
  let pytorchVersions: PytorchSpeedOutput | undefined;
  for (const batchSize of options.batchSizes) {
    const { arch, width, steps, forwardSteps } = options;
    const settings = { arch, width, batchSize, steps, forwardSteps };
    console.error(`Batch ${batchSize}: resnet-lab...`);
    const resnetLab = await runResnetLabSpeed({ ...settings, backend: options.backend }, options.threads);
    console.error(`  ${progressLine(batchSize, resnetLab)}; ${resnetLab.backend.device}`);
    backend ??= resnetLab.backend;
    let pytorch: Record<PytorchMemoryFormat, PytorchSpeedOutput> | null = null;
    if (pytorchSkipped === null) {
      const byFormat: Partial<Record<PytorchMemoryFormat, PytorchSpeedOutput>> = {};
      for (const memoryFormat of PYTORCH_MEMORY_FORMATS) {
        console.error(`Batch ${batchSize}: PyTorch ${memoryFormat}...`);
        const output = await runPytorchSpeed(options.python, { ...settings, memoryFormat }, options.threads);
        console.error(`  ${progressLine(batchSize, output)}`);
        byFormat[memoryFormat] = output;
        pytorchVersions ??= output;
      }
      pytorch = byFormat as Record<PytorchMemoryFormat, PytorchSpeedOutput>;
    }
    measurements.push({ batchSize, resnetLab, pytorch });
  }

  const first = measurements[0]!;
  const firstSettings = { ...options, batchSize: first.batchSize };
  const threadEnvironment = Object.entries(resnetLabThreadEnvironment(options.threads))
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const rows = vsPytorchRows(measurements);
  const report = formatVsPytorchReport({
    model: `${modelName(options.arch)} width ${options.width}, CIFAR stem, 10 classes, random 32x32 batches`,
    rows,
    steps: options.steps,
    forwardSteps: options.forwardSteps,
    machine: describeMachine(cpus),
    resnetLab: {
      backend: backend!.name,
      device: backend!.device,
      threads: threadEnvironment,
    },
    pytorch:
      pytorchVersions === undefined
        ? { skipped: pytorchSkipped ?? 'no batch size was measured' }
        : {
            torch: pytorchVersions.torch,
            onednn: pytorchVersions.onednn,
            cpuCapability: pytorchVersions.cpuCapability,
            threads: pytorchVersions.threads,
          },
    commands: {
      benchmark: ['npm run bench:vs-pytorch', ...(args.length > 0 ? ['--', ...args.map(shellWord)] : [])].join(' '),
      batchSize: first.batchSize,
      resnetLab: `${threadEnvironment} npx resnet-lab ${resnetLabBenchArguments(firstSettings).join(' ')}`,
      pytorch:
        pytorchSkipped === null
          ? [options.python, ...pytorchSpeedArguments({ ...firstSettings, memoryFormat: 'nchw' }, options.threads)]
              .map((arg) => (arg === SPEED_SCRIPT ? path.relative(process.cwd(), arg) : arg))
              .map(shellWord)
              .join(' ')
          : null,
    },
  });
  console.log(`\n${report}`);
  if (options.out !== undefined) {
    const record = { options, pytorchSkipped, measurements, rows };
    fs.writeFileSync(options.out, `${JSON.stringify(record, null, 2)}\n`);
    console.log(`Written to ${options.out}.`);
  }
  console.error(`Done in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  return 0;
}

function progressLine(
  batchSize: number,
  output: { trainStepSeconds: readonly number[]; forwardStepSeconds: readonly number[] },
): string {
  const training = throughputRange(batchSize, output.trainStepSeconds).median;
  const inference = throughputRange(batchSize, output.forwardStepSeconds).median;
  return `median images/s: training ${training.toFixed(1)}, inference ${inference.toFixed(1)}`;
}

/** `ResNet18` for `resnet18`, as the seed names it. */
function modelName(arch: string): string {
  return arch.replace(/^resnet/, 'ResNet');
}

/** `AMD EPYC, 2 CPUs, AVX-512; Linux 6.1.0 x64; Node v20.19.0`. */
function describeMachine(cpus: number): string {
  const model = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const flags = new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.trim().split(/\s+/) ?? []);
  const vector = flags.has('avx512f') ? ', AVX-512' : flags.has('avx2') ? ', AVX2' : '';
  return `${model}, ${cpus} CPUs${vector}; ${os.type()} ${os.release()} ${os.arch()}; Node ${process.version}`;
}

/** An argument as a POSIX shell reads it back. */
function shellWord(arg: string): string {
  return /^[\w./,:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

stopProcessesOnSignals();

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    stopRunningProcesses();
    if (error instanceof VsPytorchUsageError) {
      console.error(`${error.message}\n\n${vsPytorchUsage(os.availableParallelism())}`);
      process.exitCode = 2;
      return;
    }
    console.error('The vs-pytorch benchmark failed:', error);
    process.exitCode = 1;
  },
);
