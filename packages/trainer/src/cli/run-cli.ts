// The resnet-lab command line: dispatches a subcommand and turns user errors into a message and exit code 2.
import { ResNetConfigError } from '@resnet-lab/resnet';
import type { CliIo } from './cli-io.js';
import { SUMMARY_USAGE, summaryCommand } from './summary-command.js';
import { UsageError } from './usage-error.js';

type Command = (args: string[], io: CliIo) => number | Promise<number>;

const COMMANDS: Readonly<Record<string, { run: Command; description: string; usage: string }>> = {
  summary: {
    run: summaryCommand,
    description: 'per-stage table, parameters and MACs of a ResNet',
    usage: SUMMARY_USAGE,
  },
};

export const USAGE = `Usage: resnet-lab <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, { description }]) => `  ${name.padEnd(10)} ${description}`)
  .join('\n')}

Run 'resnet-lab <command> --help' for a command's options.
`;

/** Exit codes: 0 success, 1 unexpected failure, 2 a command line or configuration the user can fix. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`Unknown command '${name}'. Allowed: ${Object.keys(COMMANDS).join(', ')}.\n`);
    return 2;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ResNetConfigError || isParseArgsError(error)) {
      io.stderr(`resnet-lab ${name}: ${(error as Error).message}\n`);
      if (isParseArgsError(error)) io.stderr(`\n${command.usage}`);
      return 2;
    }
    throw error;
  }
}

/** node:util parseArgs reports unknown options and missing values with codes of this family. */
function isParseArgsError(error: unknown): boolean {
  return error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}
