// `npm start` as a user runs it: the API and the dashboard (production build) together, in a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const TSX_CLI = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
/** Covers a first start, which builds the dashboard. */
const STARTUP_TIMEOUT_MS = 240_000;

export interface LabProcess {
  readonly dashboardUrl: string;
  readonly apiUrl: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startLab(env: Record<string, string>): Promise<LabProcess> {
  const inherited = { ...process.env };
  delete inherited.API_TOKEN;
  delete inherited.DATABASE_URL;
  const child: ChildProcess = spawn(process.execPath, [TSX_CLI, path.join(root, 'scripts', 'start.ts')], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start did not come up in time:\n${output}`)),
      STARTUP_TIMEOUT_MS,
    );
    const check = () => {
      const found = /dashboard: +(\S+)\n +GraphQL API: +(\S+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`npm start exited:\n${output}`));
    });
  });
  return {
    dashboardUrl: match[1]!,
    apiUrl: match[2]!,
    output: () => output,
    async stop() {
      child.kill('SIGINT');
      await exited;
    },
  };
}
