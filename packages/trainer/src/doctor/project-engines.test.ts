import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectEngines } from './project-engines.js';

describe('projectEngines', () => {
  it("reads this repository's root package.json, found from the trainer's sources", () => {
    const root = path.resolve(import.meta.dirname, '../../../..');
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(projectEngines()).toEqual({
      packageJson: path.join(root, 'package.json'),
      node: manifest.engines.node,
      npm: null,
    });
  });

  it('passes over workspace package.json files up to the one that declares workspaces', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-engines-'));
    const nested = path.join(root, 'packages', 'trainer', 'src');
    fs.mkdirSync(nested, { recursive: true });
    fs.writeFileSync(path.join(root, 'packages', 'trainer', 'package.json'), '{"engines":{"node":">=1"}}');
    fs.writeFileSync(
      path.join(root, 'package.json'),
      '{"workspaces":["packages/trainer"],"engines":{"node":"^20.19.0 || ^24.0.0","npm":">=11"}}',
    );
    expect(projectEngines(nested)).toEqual({
      packageJson: path.join(root, 'package.json'),
      node: '^20.19.0 || ^24.0.0',
      npm: '>=11',
    });
    fs.rmSync(root, { recursive: true, force: true });
  });
});
