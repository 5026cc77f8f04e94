// One epoch of the seed's recipe in PyTorch (pytorch/yardstick.py), and whether this machine's Python can run it.
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeFailure, runProcess } from './run-process.js';
import type { YardstickResult, YardstickSettings } from './yardstick-result.js';

const YARDSTICK_SCRIPT = fileURLToPath(new URL('../../../pytorch/yardstick.py', import.meta.url));
/** Debian's interpreter, which python3-torch and python3-pil install into; else whatever python3 is on the PATH. */
export const DEFAULT_PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** The Debian packages the PyTorch scripts need, by the module each provides. */
const PACKAGES = { torch: 'python3-torch', PIL: 'python3-pil' } as const;
export type PythonModule = keyof typeof PACKAGES;

function checkScript(modules: readonly PythonModule[]): string {
  return `
import importlib, json
missing = []
for name in ${JSON.stringify(modules)}:
    try:
        importlib.import_module(name)
    except ImportError:
        missing.append(name)
print(json.dumps(missing))
`;
}

/** null when `python` can import `modules` (by default what yardstick.py needs), else why not and what to install. */
export async function pytorchUnavailableReason(
  python: string,
  modules: readonly PythonModule[] = ['torch', 'PIL'],
): Promise<string | null> {
  let stdout = '';
  let outcome;
  try {
    outcome = await runProcess(python, ['-c', checkScript(modules)], { onStdout: (line) => (stdout = line) });
  } catch (error) {
    return `${error instanceof Error ? error.message : String(error)}; install Python 3 with ${installLine(modules)}`;
  }
  if (outcome.exitCode !== 0) return describeFailure(`${python} -c 'import ${modules.join(', ')}'`, outcome);
  const missing = JSON.parse(stdout) as PythonModule[];
  if (missing.length === 0) return null;
  return `${python} cannot import ${missing.join(' or ')}: ${installLine(missing)}`;
}

function installLine(modules: readonly PythonModule[]): string {
  return `apt-get install ${modules.map((name) => PACKAGES[name]).join(' ')}`;
}

export function pytorchArguments(settings: YardstickSettings, seed: number, threads: number): string[] {
  return [
    YARDSTICK_SCRIPT,
    '--data',
    settings.data,
    '--epochs',
    '1',
    '--width',
    String(settings.width),
    '--test-fraction',
    String(settings.testFraction),
    ...(settings.limitPerClass === null ? [] : ['--limit-per-class', String(settings.limitPerClass)]),
    '--seed',
    String(seed),
    '--threads',
    String(threads),
  ];
}

export async function runPytorch(
  python: string,
  settings: YardstickSettings,
  seed: number,
  threads: number,
  onProgress: (line: string) => void,
): Promise<YardstickResult> {
  let lastLine = '';
  const outcome = await runProcess(python, pytorchArguments(settings, seed, threads), {
    onStdout: (line) => (lastLine = line),
    // Its own progress lines, every 100 batches; the per-epoch JSON repeats what stdout gives.
    onStderr: (line) => {
      if (line.includes(' batch ')) onProgress(line.replace(/^epoch \d+ /, ''));
    },
  });
  if (outcome.exitCode !== 0) throw new Error(describeFailure(`pytorch/yardstick.py (seed ${seed})`, outcome));
  const result = parseResult(lastLine);
  if (!result)
    throw new Error(`pytorch/yardstick.py (seed ${seed}) printed no result line; its last line: ${lastLine}`);
  return {
    tool: 'pytorch',
    seed,
    trainAccuracy: result.trainAccuracy,
    trainLoss: result.trainLoss,
    testAccuracy: result.testAccuracy,
    testLoss: result.testLoss,
    trainImages: result.trainImages,
    testImages: result.testImages,
    seconds: outcome.seconds,
    detail: `PyTorch ${result.torch}, ${result.threads} threads; init pytorch-default`,
  };
}

interface ScriptResult {
  readonly trainAccuracy: number;
  readonly trainLoss: number;
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly trainImages: number;
  readonly testImages: number;
  readonly torch: string;
  readonly threads: number;
}

function parseResult(line: string): ScriptResult | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const result = value as Partial<Record<keyof ScriptResult, unknown>> | null;
  const numbers = [
    result?.trainAccuracy,
    result?.trainLoss,
    result?.testAccuracy,
    result?.testLoss,
    result?.trainImages,
    result?.testImages,
    result?.threads,
  ];
  return numbers.every((number) => typeof number === 'number') && typeof result?.torch === 'string'
    ? (result as ScriptResult)
    : undefined;
}
