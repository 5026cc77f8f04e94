// `resnet-lab doctor`: what this machine can train on and why, the Node and npm versions against the project's, and
// the database the API would use.
import { parseArgs } from 'node:util';
import { diagnose } from '../doctor/diagnose.js';
import type { CliIo } from './cli-io.js';
import { formatDoctorReport } from './format-doctor-report.js';
import { UsageError } from './usage-error.js';

export const DOCTOR_USAGE = `Usage: resnet-lab doctor [--json]

Tries every compute backend that --backend auto chooses from (native GPU: @tensorflow/tfjs-node-gpu; native CPU:
@tensorflow/tfjs-node; wasm, with or without the oneDNN kernels; cpu) and prints whether each loads, the device it
computes on, why not where it does not and what to install. Then the CPU and GPUs, the Node and npm versions against
package.json's engines, and the database the API would use (DATABASE_URL, else the embedded server in
DATA_DIR/postgres, DATA_DIR defaulting to ./data). Exits 0 when a backend loads, 1 when none does.

  --json     print one JSON object
`;

export async function doctorCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout(DOCTOR_USAGE);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`Unexpected argument '${positionals[0]}': doctor takes only --json.`);
  const report = await diagnose();
  io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report));
  return report.auto === null ? 1 : 0;
}
