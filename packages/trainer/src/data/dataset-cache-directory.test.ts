import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetCacheDirectory, userCacheDirectory } from './dataset-cache-directory.js';

describe('datasetCacheDirectory', () => {
  it('gives each dataset location its own folder under the cache root, named after the dataset', () => {
    const flowers = datasetCacheDirectory('/var/cache/lab', '/data/flowers');
    expect(flowers).toMatch(/^\/var\/cache\/lab\/flowers-[0-9a-f]{16}$/);
    // Stable, and the same for the same directory however it is spelled.
    expect(datasetCacheDirectory('/var/cache/lab', '/data/./other/../flowers/')).toBe(flowers);
    // Another folder of the same name is another cache.
    expect(datasetCacheDirectory('/var/cache/lab', '/backup/flowers')).not.toBe(flowers);
    expect(path.basename(datasetCacheDirectory('/c', '/data/My Pets (2024)'))).toMatch(/^My_Pets_2024_-[0-9a-f]{16}$/);
    expect(path.basename(datasetCacheDirectory('/c', '/'))).toMatch(/^root-[0-9a-f]{16}$/);
  });
});

describe('userCacheDirectory', () => {
  it('is $XDG_CACHE_HOME/resnet-lab, else ~/.cache/resnet-lab', () => {
    expect(userCacheDirectory({ XDG_CACHE_HOME: '/xdg' }, '/home/ada')).toBe('/xdg/resnet-lab');
    expect(userCacheDirectory({}, '/home/ada')).toBe('/home/ada/.cache/resnet-lab');
    // The XDG Base Directory spec says to ignore a relative path.
    expect(userCacheDirectory({ XDG_CACHE_HOME: 'relative' }, '/home/ada')).toBe('/home/ada/.cache/resnet-lab');
  });
});
