// `resnet-lab export`: a checkpoint's weights as a PyTorch state_dict in safetensors.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { readSafetensors } from '@resnet-lab/resnet';
import { writeFileAtomic } from '../atomic-file.js';
import { useBackend } from '../backend/index.js';
import { exportSafetensors } from '../pytorch/export-safetensors.js';
import type { CliIo } from './cli-io.js';
import { parseBackend } from './eval-command.js';
import { UsageError } from './usage-error.js';

export const EXPORT_FORMATS = ['safetensors'] as const;

export const EXPORT_USAGE = `Usage: resnet-lab export <checkpoint-dir> --out <file.safetensors> [--format safetensors] [--json]

Writes a checkpoint's weights as a PyTorch state_dict in safetensors: the seed's keys and layouts (convolutions
[out, in, kh, kw], linear [out, in]), batch-norm running statistics and num_batches_tracked, with the architecture,
class names and normalization as metadata. In PyTorch:
model.load_state_dict(safetensors.torch.load_file(path)). Momentum buffers are not exported.

  --out <file>       the .safetensors file to write (replaced if it exists)
  --format <name>    ${EXPORT_FORMATS.join(', ')} (default safetensors)
  --backend <name>   (default auto)
  --json             print one JSON object
`;

export async function exportCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      out: { type: 'string' },
      format: { type: 'string', default: 'safetensors' },
      backend: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.stdout(EXPORT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`Expected one <checkpoint-dir>, got ${positionals.length}: ${positionals.join(' ')}`.trim());
  }
  if (!(EXPORT_FORMATS as readonly string[]).includes(values.format)) {
    throw new UsageError(`Expected --format to be one of ${EXPORT_FORMATS.join(', ')}, got '${values.format}'.`);
  }
  if (!values.out) throw new UsageError('Missing --out <file.safetensors>.');
  const checkpoint = positionals[0]!;
  await useBackend(parseBackend(values.backend));
  const bytes = await exportSafetensors(checkpoint);
  await writeFileAtomic(values.out, bytes);
  const written = {
    file: values.out,
    bytes: bytes.byteLength,
    tensors: readSafetensors(bytes).tensors.size,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  io.stdout(
    values.json
      ? `${JSON.stringify(written)}\n`
      : `Exported ${checkpoint} to ${written.file}: ${written.tensors} tensors, ${written.bytes} bytes, sha256 ${written.sha256}\n`,
  );
  return 0;
}
