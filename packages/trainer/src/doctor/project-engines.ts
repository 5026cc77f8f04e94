// The Node and npm versions that the project supports: `engines` of the repository's root package.json, found by
// walking up from this file, so that `resnet-lab doctor` reads what npm itself checks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ProjectEngines {
  /** The root package.json: the first one up the tree that declares `workspaces`. */
  readonly packageJson: string;
  /** `engines.node`, an npm version range; null where it says none. */
  readonly node: string | null;
  /** `engines.npm`; null where it says none. */
  readonly npm: string | null;
}

/** Null where no package.json up the tree from `from` declares workspaces (the trainer installed on its own). */
export function projectEngines(from: string = path.dirname(fileURLToPath(import.meta.url))): ProjectEngines | null {
  for (let directory = path.resolve(from); ; directory = path.dirname(directory)) {
    const packageJson = path.join(directory, 'package.json');
    const manifest = readJson(packageJson);
    if (typeof manifest === 'object' && manifest !== null && 'workspaces' in manifest) {
      const engines = (manifest as { engines?: unknown }).engines;
      return { packageJson, node: range(engines, 'node'), npm: range(engines, 'npm') };
    }
    if (path.dirname(directory) === directory) return null;
  }
}

function range(engines: unknown, name: string): string | null {
  const value = typeof engines === 'object' && engines !== null ? (engines as Record<string, unknown>)[name] : null;
  return typeof value === 'string' ? value : null;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return JSON.parse(text) as unknown;
}
