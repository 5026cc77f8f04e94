// The dashboard in a real browser (Debian's Chromium, driven by playwright-core), against the real API and the
// dashboard's production build, both started as `npm start` starts them. Screenshots of every page go to
// test-artifacts/dashboard/.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeEmbeddedDataDir } from '@resnet-lab/api/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiProcess } from './support/api-process.js';
import { freePort } from './support/free-port.js';
import { startLab, type LabProcess } from './support/lab-process.js';
import { registerTinyDataset, startRun } from './support/tiny-runs.js';

const root = path.resolve(import.meta.dirname, '..');
const ARTIFACTS = path.join(root, 'test-artifacts', 'dashboard');
const CHROMIUM = '/usr/bin/chromium';
const EPOCHS = 8;

let dataDir: string;
let lab: LabProcess;
let browser: Browser;

async function graphql<Data>(query: string, variables: Record<string, unknown> = {}): Promise<Data> {
  const response = await fetch(lab.apiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: Data; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Vertical stripes (the synthetic dataset's second class), 32x32, as a PNG file's bytes. */
function stripesPng(): Buffer {
  const png = new PNG({ width: 32, height: 32 });
  for (let offset = 0; offset < png.data.length; offset += 4) {
    const x = (offset / 4) % 32;
    const value = Math.floor(x / 2) % 2 === 0 ? 230 : 25;
    png.data[offset] = png.data[offset + 1] = png.data[offset + 2] = value;
    png.data[offset + 3] = 255;
  }
  return PNG.sync.write(png);
}

beforeAll(async () => {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  dataDir = await makeEmbeddedDataDir('resnet-lab-dashboard-');
  lab = await startLab({ DATA_DIR: dataDir, PORT: '0', DASHBOARD_PORT: String(await freePort()) });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('the dashboard', () => {
  it('creates a run from the form, draws its curves live, promotes its checkpoint and predicts an upload', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));

    // An empty lab says so, and points to the way forward. No other site may frame it.
    const response = await page.goto(lab.dashboardUrl);
    expect(response!.headers()).toMatchObject({
      'x-frame-options': 'SAMEORIGIN',
      'content-security-policy': "frame-ancestors 'self'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    await page.getByText('No runs yet.').waitFor();

    // A model from the Models page; a tiny synthetic dataset through the API (the dashboard does not register data).
    await page.goto(`${lab.dashboardUrl}/models`);
    await page.fill('input[name=name]', 'tiny');
    await page.fill('input[name=width]', '0.0625');
    await page.fill('input[name=classes]', '4');
    await page.fill('input[name=inputSize]', '16');
    await page.getByRole('button', { name: 'Create model' }).click();
    await page.locator('[data-testid=model-tiny]').waitFor();
    await registerTinyDataset({ graphql }, { trainSize: 128, testSize: 64 });

    // The form checks before sending...
    await page.goto(`${lab.dashboardUrl}/runs/new`);
    await page.locator('select[name=modelName]').waitFor();
    await page.selectOption('select[name=modelName]', 'tiny');
    await page.selectOption('select[name=datasetName]', 'synthetic');
    await page.fill('input[name=epochs]', String(EPOCHS));
    await page.fill('input[name=batchSize]', '32');
    await page.fill('input[name=learningRate]', '0');
    await page.getByRole('button', { name: 'Start run' }).click();
    await expect(page.locator('[data-field=learningRate]').textContent()).resolves.toBe('Above 0, at most 10.');
    // ...and shows the API's field errors where they belong.
    await page.fill('input[name=learningRate]', '0.05');
    await page.getByRole('button', { name: 'Start run' }).click();
    await expect(page.locator('[data-field=datasetName]').textContent()).resolves.toBe(
      "Model 'tiny' has 4 classes but dataset 'synthetic' has 10; create a model with classes: 10.",
    );
    await screenshot(page, 'new-run');
    await page.selectOption('select[name=datasetName]', 'tiny');
    await page.selectOption('select[name=schedule]', 'cosine');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    const runId = page.url().split('/').at(-1)!;

    // The accuracy chart gains its points one epoch at a time while the run trains.
    const pointCounts: number[] = [];
    let tookMidRunScreenshot = false;
    for (;;) {
      const points = Number(await page.locator('[data-testid=accuracy-chart]').getAttribute('data-points'));
      if (pointCounts.at(-1) !== points) pointCounts.push(points);
      if (!tookMidRunScreenshot && points >= 2 && points < EPOCHS) {
        await screenshot(page, 'run-detail-training');
        tookMidRunScreenshot = true;
      }
      if (points === EPOCHS && (await page.locator('.status-completed').count()) > 0) break;
      await page.waitForTimeout(50);
    }
    expect(pointCounts[0]).toBeLessThan(EPOCHS);
    expect(pointCounts.length).toBeGreaterThanOrEqual(3);
    expect(pointCounts).toEqual([...pointCounts].sort((a, b) => a - b));
    expect(pointCounts.at(-1)).toBe(EPOCHS);
    await expect(page.locator('[data-testid=epoch-table] tbody tr').count()).resolves.toBe(EPOCHS);
    await screenshot(page, 'run-detail');

    // Promote the latest checkpoint (always kept) to production.
    await page
      .locator('[data-testid=checkpoints-table] tbody tr')
      .last()
      .getByRole('button', { name: 'Promote to model version' })
      .click();
    await expect(page.locator('[data-testid=promote-message]').textContent()).resolves.toBe(
      `Epoch ${EPOCHS} is now tiny v1 (production).`,
    );

    // Predict: choose the version, upload an image, see the probabilities.
    await page.goto(`${lab.dashboardUrl}/predict`);
    await page.locator('select[name=checkpoint]').waitFor();
    const option = page.locator('select[name=checkpoint] option', { hasText: 'tiny v1 (production)' });
    await page.selectOption('select[name=checkpoint]', await option.getAttribute('value'));
    await page.setInputFiles('input[name=image]', { name: 'stripes.png', mimeType: 'image/png', buffer: stripesPng() });
    await page.locator('[data-testid=prediction-chart] .recharts-bar-rectangle').first().waitFor();
    await expect(page.locator('[data-testid=prediction-chart]').getAttribute('data-points')).resolves.toBe('4');
    const chartText = (await page.locator('[data-testid=prediction-chart]').textContent()) ?? '';
    for (const label of ['checkerboard', 'diagonal-stripes', 'horizontal-stripes', 'vertical-stripes']) {
      expect(chartText).toContain(label);
    }
    await expect(page.locator('[data-testid=prediction-summary]').textContent()).resolves.toMatch(
      /^Top class: \S+ \(\d+\.\d%\)/,
    );
    await screenshot(page, 'predict');

    // The other pages render this run: the list, models, evaluation, and a comparison with a second run.
    const secondId = await startRun({ graphql }, { epochs: 2, learningRate: 0.02 });
    await page.goto(lab.dashboardUrl);
    await page.locator(`[data-run-id="${secondId}"] .status-completed`).waitFor({ timeout: 60_000 });
    await screenshot(page, 'runs');
    await page.goto(`${lab.dashboardUrl}/compare?ids=${runId},${secondId}`);
    await page.locator('[data-testid=compare-hyperparameters] tr.differs').first().waitFor();
    const differing = await page.locator('[data-testid=compare-hyperparameters] tr.differs th').allTextContents();
    expect(differing.map((text) => text.replace(' ≠', '').trim())).toEqual(['epochs', 'learningRate', 'schedule']);
    await screenshot(page, 'compare');
    await page.goto(`${lab.dashboardUrl}/models`);
    await page.locator('[data-testid=versions-tiny]').waitFor();
    await screenshot(page, 'models');
    const { run } = await graphql<{ run: { latestCheckpoint: { id: string } } }>(
      `
        query ($id: ID!) {
          run(id: $id) {
            latestCheckpoint {
              id
            }
          }
        }
      `,
      { id: runId },
    );
    await page.goto(`${lab.dashboardUrl}/evaluate?checkpoint=${run.latestCheckpoint.id}`);
    // Nothing is measured on load: Evaluate runs the checkpoint over its run's dataset's test split, and stores it.
    await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
    await page.locator('[data-testid=confusion-matrix]').waitFor({ timeout: 60_000 });
    const cells = await page.locator('[data-testid=confusion-matrix] tbody td').allTextContents();
    expect(cells.map(Number).reduce((total, count) => total + count, 0)).toBe(64);
    await screenshot(page, 'evaluate');

    expect(consoleErrors).toEqual([]);
  });

  it('says clearly when the API is down, and recovers by itself when it comes back', async () => {
    const apiPort = await freePort();
    const dashboardPort = await freePort();
    const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
    const dashboard = spawn(
      process.execPath,
      [nextBin, 'start', '--port', String(dashboardPort), '--hostname', '127.0.0.1'],
      {
        cwd: path.join(root, 'apps', 'dashboard'),
        env: {
          ...process.env,
          RESNET_LAB_API_URL: `http://127.0.0.1:${apiPort}/graphql`,
          NEXT_TELEMETRY_DISABLED: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const apiDataDir = await makeEmbeddedDataDir('resnet-lab-down-');
    try {
      await new Promise<void>((resolve) =>
        dashboard.stdout.on('data', (chunk: Buffer) => /Ready in/.test(String(chunk)) && resolve()),
      );
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${dashboardPort}/`);
      await page.locator('[data-testid=api-down]').waitFor();
      await expect(page.locator('[data-testid=api-down]').textContent()).resolves.toContain(
        `The API is not reachable. Cannot reach the API at http://127.0.0.1:${apiPort}/graphql`,
      );
      await screenshot(page, 'api-down');
      // The API allows the origin of the dashboard on DASHBOARD_PORT only.
      const api = await startApiProcess({
        PORT: String(apiPort),
        DATA_DIR: apiDataDir,
        DASHBOARD_PORT: String(dashboardPort),
      });
      try {
        await page.getByText('No runs yet.').waitFor({ timeout: 30_000 });
        await expect(page.locator('[data-testid=api-down]').count()).resolves.toBe(0);
      } finally {
        await api.stop();
      }
    } finally {
      dashboard.kill('SIGTERM');
      await fs.rm(apiDataDir, { recursive: true, force: true });
    }
  });
});
