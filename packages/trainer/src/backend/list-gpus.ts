// The NVIDIA GPUs that the driver sees, by name, from nvidia-smi; and where it lists none, why.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface GpuList {
  /** `NVIDIA H100 80GB HBM3`, one per GPU. */
  readonly names: readonly string[];
  /** Why `names` is empty; null where it is not. */
  readonly reason: string | null;
}

const TIMEOUT_MS = 10_000;

/** `command`: nvidia-smi, or another path for tests. */
export async function listGpus(command = 'nvidia-smi'): Promise<GpuList> {
  try {
    const { stdout } = await promisify(execFile)(command, ['--query-gpu=name', '--format=csv,noheader'], {
      timeout: TIMEOUT_MS,
    });
    const names = stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0);
    return { names, reason: names.length > 0 ? null : `${command} lists no GPU` };
  } catch (error) {
    return { names: [], reason: failure(command, error) };
  }
}

function failure(command: string, error: unknown): string {
  const { code, killed, stdout, stderr } = error as {
    code?: unknown;
    killed?: boolean;
    stdout?: string;
    stderr?: string;
  };
  if (code === 'ENOENT') return `${command} not found (it comes with the NVIDIA driver)`;
  if (killed === true) return `${command} did not answer within ${TIMEOUT_MS / 1000} s`;
  // nvidia-smi prints its errors ("couldn't communicate with the NVIDIA driver") on stdout.
  const said = `${stderr ?? ''}\n${stdout ?? ''}`
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line.length > 0);
  return `${command} failed (exit code ${String(code)})${said === undefined ? '' : `: ${said}`}`;
}
