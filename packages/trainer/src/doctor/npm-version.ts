// The npm that runs this project: from the user agent that npm gives the scripts and commands it starts
// (`npm/11.19.1 node/v20.20.2 linux x64 workspaces/false`), else from `npm --version`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export type NpmVersion =
  | { readonly version: string; readonly from: 'npm_config_user_agent' | 'npm --version' }
  | { readonly version: null; readonly reason: string };

export async function npmVersion(env: NodeJS.ProcessEnv = process.env, command = 'npm'): Promise<NpmVersion> {
  const agent = /^npm\/(\d+\.\d+\.\d+)\b/.exec(env['npm_config_user_agent'] ?? '');
  if (agent !== null) return { version: agent[1]!, from: 'npm_config_user_agent' };
  try {
    const { stdout } = await promisify(execFile)(command, ['--version'], { timeout: 30_000 });
    return { version: stdout.trim(), from: 'npm --version' };
  } catch (error) {
    const { code } = error as { code?: unknown };
    return {
      version: null,
      reason:
        code === 'ENOENT'
          ? `${command} not found on PATH`
          : `${command} --version failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    };
  }
}
