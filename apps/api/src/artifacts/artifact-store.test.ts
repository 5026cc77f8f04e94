import { describe, expect, it } from 'vitest';
import { checkArtifactKey } from './artifact-store.js';

const RULE =
  "A key is a relative path with '/' separators, without empty, '.' or '..' segments, backslashes or NUL characters.";

describe('checkArtifactKey', () => {
  it('accepts relative keys with / separators', () => {
    expect(checkArtifactKey('runs/run-1/checkpoints/epoch-0003')).toBe('runs/run-1/checkpoints/epoch-0003');
    expect(checkArtifactKey('registry/cifar10-resnet18/v2')).toBe('registry/cifar10-resnet18/v2');
    // Dots inside a segment are a name like any other.
    expect(checkArtifactKey('runs/..hidden/model.json')).toBe('runs/..hidden/model.json');
  });

  it.each([
    ['', 'it is empty'],
    ['/srv/artifacts/runs/a', 'it is absolute'],
    ['runs/../../etc', "it has a '..' segment"],
    ['..', "it has a '..' segment"],
    ['runs/./a', "it has a '.' segment"],
    ['runs//a', 'it has an empty segment'],
    ['runs/a/', 'it has an empty segment'],
    ['runs\\..\\a', 'it contains a backslash'],
    ['runs/a\0b', 'it contains a NUL character'],
  ])('rejects %j, naming it', (key, problem) => {
    expect(() => checkArtifactKey(key)).toThrow(`Invalid artifact key ${JSON.stringify(key)}: ${problem}. ${RULE}`);
  });
});
