// A tiny image folder on disk (<root>/<class>/<n>.png), for tests that run the CLI or loadDataset on real files.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PNG } from 'pngjs';

export interface ImageFolderSpec {
  readonly classNames: readonly string[];
  readonly perClass: number;
  /** Side of the square images, pixels. Default 8. */
  readonly size?: number;
}

/**
 * Writes `perClass` PNGs per class under `root`: class c's image i is filled with a pattern of its own, so that
 * images differ within and between classes. Returns the files written, in class then image order.
 */
export async function writeImageFolder(root: string, spec: ImageFolderSpec): Promise<string[]> {
  const size = spec.size ?? 8;
  const files: string[] = [];
  for (const [label, className] of spec.classNames.entries()) {
    await fs.mkdir(path.join(root, className), { recursive: true });
    for (let index = 0; index < spec.perClass; index++) {
      const png = new PNG({ width: size, height: size });
      for (let pixel = 0; pixel < size * size; pixel++) {
        const value = (pixel * 37 + label * 85 + index * 11) % 256;
        png.data.set([value, (value + label * 60) % 256, (255 - value + index) % 256, 255], pixel * 4);
      }
      const file = path.join(root, className, `${String(index).padStart(3, '0')}.png`);
      await fs.writeFile(file, PNG.sync.write(png, { colorType: 2 }));
      files.push(file);
    }
  }
  return files;
}
