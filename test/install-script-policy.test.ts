// package.json's allowScripts (npm 12's install-script policy, README "Development") against the lockfile: every
// dependency with an install script is allowed or denied by name, on every platform, not only the one that
// `npm ci --strict-allow-scripts` checks (.ci/node24), and no entry outlives its package.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function readJson(file: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(path.join(root, file), 'utf8'));
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error(`Expected an object in ${file}, got: ${JSON.stringify(parsed)}`);
  return parsed as Record<string, unknown>;
}

/** Names of the lockfile's dependencies (not the root or a workspace) that have an install script, sorted. */
function dependenciesWithInstallScripts(): string[] {
  const packages = readJson('package-lock.json').packages as Record<string, { hasInstallScript?: boolean }>;
  const names = Object.entries(packages)
    .filter(([location, entry]) => location.includes('node_modules/') && entry.hasInstallScript === true)
    .map(([location]) => location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length));
  return [...new Set(names)].sort();
}

const policy = (readJson('package.json').allowScripts ?? {}) as Record<string, unknown>;

describe('the install-script policy', () => {
  it('allows or denies every dependency install script in the lockfile, by name', () => {
    const unreviewed = dependenciesWithInstallScripts().filter((name) => typeof policy[name] !== 'boolean');
    expect(unreviewed).toEqual([]);
  });

  it('names no package that has no install script in the lockfile', () => {
    const withScripts = new Set(dependenciesWithInstallScripts());
    expect(Object.keys(policy).filter((name) => !withScripts.has(name))).toEqual([]);
  });
});
