// The Datasets page in Chromium against `npm start`: a folder of PNGs registered from the UI after its preview
// (classes, counts, thumbnails), an error shown at its field, and the built-in cifar10, not on disk, saying how to get
// it. Screenshots at desktop and 390 px under test-artifacts/dashboard-datasets/.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BROWSER_TEST_TIMEOUT_MS, startDashboardBrowser, type DashboardBrowser } from './support/dashboard-browser.js';

vi.setConfig({ testTimeout: BROWSER_TEST_TIMEOUT_MS, hookTimeout: BROWSER_TEST_TIMEOUT_MS });

let dashboard: DashboardBrowser;
/** Parent of the lab's one dataset root. */
let outside: string;
/** DATASET_ROOTS of the lab. */
let root: string;

/** A `size` x `size` PNG of one shape in `colour` on white. */
function shapePng(shape: 'circle' | 'square' | 'triangle', size: number, colour: readonly number[]): Buffer {
  const png = new PNG({ width: size, height: size });
  const centre = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside =
        shape === 'circle'
          ? (x - centre) ** 2 + (y - centre) ** 2 <= (size / 3) ** 2
          : shape === 'square'
            ? Math.abs(x - centre) <= size / 4 && Math.abs(y - centre) <= size / 4
            : y >= size / 5 && y <= (4 * size) / 5 && Math.abs(x - centre) <= (y - size / 5) / 2;
      png.data.set(inside ? [colour[0]!, colour[1]!, colour[2]!, 255] : [255, 255, 255, 255], (y * size + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

const SHAPES = ['circle', 'square', 'triangle'] as const;
const COLOURS = [
  [220, 38, 38],
  [37, 99, 235],
  [22, 163, 74],
];

beforeAll(async () => {
  outside = await fs.mkdtemp(path.join(os.tmpdir(), 'dashboard-datasets-'));
  root = path.join(outside, 'datasets');
  // shapes/train/<shape>/1..3.png and shapes/test/<shape>/1.png, each image in another colour.
  for (const shape of SHAPES) {
    for (const [split, files] of [
      ['train', 3],
      ['test', 1],
    ] as const) {
      const folder = path.join(root, 'shapes', split, shape);
      await fs.mkdir(folder, { recursive: true });
      for (let file = 0; file < files; file++) {
        await fs.writeFile(path.join(folder, `${file + 1}.png`), shapePng(shape, 24, COLOURS[file]!));
      }
    }
  }
  dashboard = await startDashboardBrowser('dashboard-datasets', { DATASET_ROOTS: root });
}, 300_000);
afterAll(async () => {
  await dashboard?.close();
  await fs.rm(outside, { recursive: true, force: true });
}, 60_000);

describe('the Datasets page', () => {
  it('registers a folder after previewing it, and says how to get the built-in cifar10', async () => {
    const { dataset } = await dashboard.graphql<{ dataset: { location: string } }>(
      `{ dataset(name: "cifar10") { location } }`,
    );
    const page = await dashboard.open('/datasets');
    await page.getByRole('link', { name: 'Datasets' }).waitFor();
    expect(await page.title()).toBe('Datasets · ResNet Lab');

    // The built-in cifar10 is not on disk: the card says so, and gives the command that puts it where it must be.
    const cifar10 = page.getByTestId('dataset-cifar10');
    await cifar10.getByText('not available').waitFor();
    expect(await cifar10.getByTestId('download-command').textContent()).toBe(
      `npx resnet-lab dataset download cifar10 --out ${dataset.location}`,
    );
    expect(await cifar10.getByTestId('unavailable').locator('p').first().textContent()).toBe(
      `${dataset.location} does not exist or is not a directory. Download the files with ` +
        `\`npx resnet-lab dataset download cifar10 --out ${dataset.location}\` (needs internet), or extract ` +
        'cifar-10-binary.tar.gz there.',
    );
    expect(await page.locator('.hint code').first().textContent()).toBe(root);

    // A folder that is not there: the API's message at the field.
    const folder = page.locator('input[name=location]');
    await folder.fill('not-yet');
    await page.getByRole('button', { name: 'Preview' }).click();
    const missing = path.join(root, 'not-yet');
    expect(await page.locator('[data-field=location]').textContent()).toBe(
      `${missing} is not an image folder: Dataset location ${missing} does not exist or is not a directory.`,
    );

    // The preview: classes with their images per split, and 8 thumbnails of 64x64 taken a class at a time.
    await folder.fill('shapes');
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('dataset-preview');
    await preview.waitFor();
    expect(await page.locator('[data-field=location]').count()).toBe(0);
    expect(await preview.locator('p').first().textContent()).toBe(
      `3 classes, 9 training images, 3 test images; images of any size, resized to the model's input. ` +
        `Location: ${path.join(root, 'shapes')}`,
    );
    expect(await preview.getByTestId('preview-classes').locator('tbody tr').allTextContents()).toEqual([
      'circle31',
      'square31',
      'triangle31',
    ]);
    const thumbnails = preview.getByTestId('preview-thumbnails').locator('img');
    const alts = await Promise.all((await thumbnails.all()).map((thumbnail) => thumbnail.getAttribute('alt')));
    expect(alts).toEqual([
      'circle, 24×24',
      'square, 24×24',
      'triangle, 24×24',
      'circle, 24×24',
      'square, 24×24',
      'triangle, 24×24',
      'circle, 24×24',
      'square, 24×24',
    ]);
    // Each decoded by the browser, at the thumbnails' size.
    expect(
      await thumbnails.evaluateAll((images) =>
        // An HTMLImageElement's; the test's own types have no DOM.
        images.map((image) => {
          const { complete, naturalWidth, naturalHeight } = image as unknown as Record<string, unknown>;
          return [complete, naturalWidth, naturalHeight];
        }),
      ),
    ).toEqual(Array.from({ length: 8 }, () => [true, 64, 64]));
    await dashboard.screenshotBothWidths(page, 'datasets-preview');

    // Saved under a name, then listed, available.
    await page.locator('input[name=name]').fill('shapes');
    await page.locator('input[name=description]').fill('Circles, squares and triangles in three colours.');
    await page.getByRole('button', { name: 'Save dataset' }).click();
    await page.getByText('Registered dataset shapes: runs can train on it now.').waitFor();
    const card = page.getByTestId('dataset-shapes');
    await card.getByText('available', { exact: true }).waitFor();
    expect(await card.locator('dd').allTextContents()).toEqual([
      'Image folder',
      path.join(root, 'shapes'),
      '3: circle, square, triangle',
      '9 training, 3 test',
      "any (resized to the model's input)",
    ]);
    expect(await page.getByTestId('dataset-preview').count()).toBe(0);
    const { datasets } = await dashboard.graphql<{ datasets: { name: string; trainSize: number }[] }>(
      `{ datasets { name trainSize } }`,
    );
    expect(datasets).toEqual([
      { name: 'cifar10', trainSize: 50000 },
      { name: 'synthetic', trainSize: 1000 },
      { name: 'shapes', trainSize: 9 },
    ]);

    // The same name again: refused, at the name field.
    await folder.fill('shapes');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('input[name=name]').fill('shapes');
    await page.getByRole('button', { name: 'Save dataset' }).click();
    expect(await page.locator('[data-field=name]').textContent()).toBe(
      "A dataset named 'shapes' already exists; choose another name.",
    );
    await page.locator('input[name=location]').fill('');
    await dashboard.screenshotBothWidths(page, 'datasets');

    expect(dashboard.consoleErrors).toEqual([]);
  });
});
