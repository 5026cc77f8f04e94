// What a command prints when it stops on an error. For a full disk: the error's message (for a DiskFullError, one
// clear paragraph) and the line in which the OS or PostgreSQL reported it, not pages of stack and server log. For
// anything else: the stack and causes as Node shows them, but without the source line that Node prints above an
// uncaught error, which for a minified file (Prisma's runtime, a wasm module's glue) is the whole file.
import { inspect } from 'node:util';
import { diskFullEvidence, isDiskFull } from '@resnet-lab/trainer';

export function describeFatalError(error: unknown): string {
  if (!isDiskFull(error)) return inspect(error);
  const message = error instanceof Error ? error.message : String(error);
  const evidence = diskFullEvidence(error);
  return evidence === null || message.includes(evidence) ? message : `${message}\nCaused by: ${evidence}`;
}
