// The shared CIFAR-10 training JPEGs (../shared/datasets/cifar10-train-jpg.tar.gz: train/<class>/<nnnn>.jpg) as an
// image folder on disk, extracted once into a cache directory with the trainer's own tar reader.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { extractTar } from '@resnet-lab/trainer';

/** The archive beside the repository, as in CI: `<repository>/../shared/datasets/cifar10-train-jpg.tar.gz`. */
export const SHARED_CIFAR10_JPG_ARCHIVE = fileURLToPath(
  new URL('../../../../shared/datasets/cifar10-train-jpg.tar.gz', import.meta.url),
);

const FOLDER_NAME = 'cifar10-train-jpg';

/**
 * `<cacheRoot>/cifar10-train-jpg/train`, the folder of class subfolders, extracting `archive` first when it is not
 * there. Extraction goes to a temporary sibling renamed into place when complete, so an interrupted one is redone
 * rather than half used. `onExtract` is told before the (tens of seconds) extraction starts.
 */
export async function cifar10JpgFolder(
  archive: string,
  cacheRoot: string,
  onExtract: (archive: string, destination: string) => void = () => {},
): Promise<string> {
  const destination = path.join(cacheRoot, FOLDER_NAME);
  const folder = path.join(destination, 'train');
  if (await isDirectory(folder)) return folder;

  onExtract(archive, destination);
  let compressed: Buffer;
  try {
    compressed = await fs.readFile(archive);
  } catch (error) {
    throw new Error(`Cannot read the CIFAR-10 JPEG archive ${archive}; give another with --archive or --data.`, {
      cause: error,
    });
  }
  await fs.mkdir(cacheRoot, { recursive: true });
  const partial = await fs.mkdtemp(path.join(cacheRoot, `${FOLDER_NAME}.partial-`));
  try {
    await extractTar(gunzipSync(compressed), partial, archive);
    if (!(await isDirectory(path.join(partial, 'train')))) {
      throw new Error(`${archive} holds no train/ folder: expected train/<class>/<n>.jpg.`);
    }
    await fs.rename(partial, destination);
  } catch (error) {
    await fs.rm(partial, { recursive: true, force: true });
    // Another process extracted it meanwhile: theirs is as good.
    if (await isDirectory(folder)) return folder;
    throw error;
  }
  return folder;
}

async function isDirectory(location: string): Promise<boolean> {
  return (await fs.stat(location).catch(() => undefined))?.isDirectory() === true;
}
