// The SDL files of this folder, concatenated in a fixed order (base.graphql first: the others extend its types).
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const SCHEMA_DIR = fileURLToPath(new URL('.', import.meta.url));
const FILES = [
  'base.graphql',
  'system.graphql',
  'models.graphql',
  'datasets.graphql',
  'runs.graphql',
  'checkpoints.graphql',
  'run-lineage.graphql',
  'run-logs.graphql',
];

export async function loadSchemaSource(): Promise<string> {
  const parts = await Promise.all(FILES.map((file) => fs.readFile(`${SCHEMA_DIR}${file}`, 'utf8')));
  return parts.join('\n');
}
