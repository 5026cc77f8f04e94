// Issue 13, items 9 and 10, in Chromium: a resumed run's charts and epoch table show the history it continues
// (inherited epochs dashed, marked and linked to the run that trained them); charts zoom (drag, brush, keyboard),
// smooth, switch to a log scale for losses and describe themselves in text; Compare draws the runs' differing
// hyperparameters against best test accuracy as parallel coordinates. Screenshots at desktop and 390 px go to
// test-artifacts/lineage-charts/.
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BROWSER_TEST_TIMEOUT_MS, startDashboardBrowser, type DashboardBrowser } from './support/dashboard-browser.js';
import { createTinyModel, registerTinyDataset, trainedRun, waitForRun } from './support/tiny-runs.js';

vi.setConfig({ testTimeout: BROWSER_TEST_TIMEOUT_MS, hookTimeout: BROWSER_TEST_TIMEOUT_MS });

/** Training images of the tiny dataset and the batch size: 2 batches per epoch. */
const BATCHES_PER_EPOCH = 2;
const FIRST_EPOCHS = 3;
const RESUMED_EPOCHS = 5;

let session: DashboardBrowser;
const runs = { first: '', resumed: '', other: '' };

beforeAll(async () => {
  session = await startDashboardBrowser('lineage-charts');
  await createTinyModel(session);
  await registerTinyDataset(session);
  runs.first = (await trainedRun(session, { name: 'first', epochs: FIRST_EPOCHS, learningRate: 0.05 })).id;
  const { resumeRun } = await session.graphql<{ resumeRun: { id: string } }>(
    `mutation($id: ID!, $epochs: Int!) { resumeRun(input: { runId: $id, epochs: $epochs }) { id } }`,
    { id: runs.first, epochs: RESUMED_EPOCHS },
  );
  runs.resumed = (await waitForRun(session, resumeRun.id)).id;
  runs.other = (await trainedRun(session, { name: 'other', epochs: 2, learningRate: 0.02 })).id;
}, 600_000);
afterAll(async () => {
  await session?.close();
}, 60_000);

/** A chart's data attribute. */
function attribute(page: Page, testId: string, name: string): Promise<string | null> {
  return page.getByTestId(testId).getAttribute(name);
}

/** An attribute of every element the locator matches, in document order. */
async function attributes(locator: Locator, name: string): Promise<(string | null)[]> {
  return Promise.all((await locator.all()).map((element) => element.getAttribute(name)));
}

/** The browser's next two frames: recharts handles mouse moves once a frame. */
async function nextFrames(page: Page): Promise<void> {
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}

/**
 * Drags across the chart's plot from `from` to `to`, fractions of its width, as a person does: hovering first (the
 * tooltip shows where the drag starts), then pressing, moving and releasing.
 */
async function dragAcross(page: Page, testId: string, from: number, to: number): Promise<void> {
  const chart = page.getByTestId(testId);
  // The mouse reaches only what is in the viewport.
  await chart.scrollIntoViewIfNeeded();
  const grid = await chart.locator('.recharts-cartesian-grid').boundingBox();
  if (!grid) throw new Error(`Expected ${testId} to have a plot.`);
  const y = grid.y + grid.height / 2;
  await page.mouse.move(grid.x + grid.width * from, y);
  await chart.locator('.recharts-tooltip-wrapper').waitFor({ state: 'visible' });
  await nextFrames(page);
  await page.mouse.down();
  await page.mouse.move(grid.x + grid.width * to, y, { steps: 8 });
  await nextFrames(page);
  await page.mouse.up();
}

describe('lineage and chart controls in the dashboard (issue 13, items 9 and 10)', () => {
  it("draws a resumed run's inherited epochs and batches, marked and linked, then its own", async () => {
    const { run } = await session.graphql<{
      run: { name: string; lineageMetrics: { inherited: boolean; metric: { testAccuracy: number } }[] };
    }>(`query($id: ID!) { run(id: $id) { name lineageMetrics { inherited metric { testAccuracy } } } }`, {
      id: runs.resumed,
    });
    expect(run.name).toBe('first (resumed from epoch 3)');
    expect(run.lineageMetrics.map((entry) => entry.inherited)).toEqual([true, true, true, false, false]);

    const page = await session.open(`/runs/${runs.resumed}`);
    await page.getByTestId('epoch-table').waitFor();
    for (const chart of ['loss-chart', 'accuracy-chart', 'lr-chart']) {
      expect(await attribute(page, chart, 'data-points')).toBe(String(RESUMED_EPOCHS));
      expect(await attribute(page, chart, 'data-inherited-points')).toBe(String(FIRST_EPOCHS));
    }
    expect(await attribute(page, 'batch-chart', 'data-points')).toBe(String(RESUMED_EPOCHS * BATCHES_PER_EPOCH));
    expect(await attribute(page, 'batch-chart', 'data-inherited-points')).toBe(
      String(FIRST_EPOCHS * BATCHES_PER_EPOCH),
    );
    // Inherited lines are drawn dashed beside the own ones: two series, each an inherited and an own line.
    expect(await page.getByTestId('loss-chart').locator('.recharts-line').count()).toBe(4);
    expect(await page.getByTestId('run-lineage').textContent()).toBe(
      'Continues first (epochs 1–3). Dashed lines and italic rows are inherited.',
    );
    expect(await page.getByTestId('run-lineage').getByRole('link', { name: 'first' }).getAttribute('href')).toBe(
      `/runs/${runs.first}`,
    );

    // The epoch table: 5 epochs, the first 3 marked and linked to the run that trained them.
    const rows = page.getByTestId('epoch-table').locator('tbody tr');
    expect(await rows.locator('td:first-child').allTextContents()).toEqual(['1', '2', '3', '4', '5']);
    expect(await attributes(rows, 'data-inherited')).toEqual(['true', 'true', 'true', null, null]);
    expect(await rows.locator('td:last-child').allTextContents()).toEqual([
      'inherited from first',
      'inherited from first',
      'inherited from first',
      'this run',
      'this run',
    ]);
    expect(await rows.nth(0).getByRole('link').getAttribute('href')).toBe(`/runs/${runs.first}`);

    // Each chart says in words what it shows.
    const accuracies = run.lineageMetrics.map((entry) => entry.metric.testAccuracy);
    const best = Math.max(...accuracies);
    const summary = await page.getByTestId('accuracy-chart').getByTestId('chart-summary').textContent();
    expect(summary).toContain(
      `test accuracy: 5 epochs, last ${(accuracies.at(-1)! * 100).toFixed(1)}%, best ${(best * 100).toFixed(1)}% ` +
        `at epoch ${accuracies.indexOf(best) + 1}.`,
    );
    expect(summary).toMatch(
      /^Accuracy per epoch\. train accuracy: 5 epochs, last \d+\.\d%, best \d+\.\d% at epoch \d\./,
    );
    expect(summary).toMatch(/ Up to epoch 3 inherited from the runs it resumed\.$/);
    const figure = page.getByTestId('accuracy-chart');
    const describedBy = await figure.getAttribute('aria-describedby');
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toBe(summary);
    await session.screenshotBothWidths(page, 'run-resumed');
  }, 180_000);

  it('switches loss axes to a log scale, smooths, and zooms by dragging, by the brush and by keyboard', async () => {
    const page = await session.open(`/runs/${runs.resumed}`);
    await page.getByTestId('chart-settings').waitFor();

    await page.getByLabel('Log scale for losses').check();
    expect(await attribute(page, 'loss-chart', 'data-scale')).toBe('log');
    expect(await attribute(page, 'batch-chart', 'data-scale')).toBe('log');
    expect(await attribute(page, 'accuracy-chart', 'data-scale')).toBe('linear');

    await page.locator('input[name=smoothing]').fill('0.6');
    await expect(page.getByTestId('chart-settings').textContent()).resolves.toContain('Smoothing: 0.60');
    expect(await attribute(page, 'loss-chart', 'data-smoothing')).toBe('0.6');
    // Smoothing adds each series' faint raw line under its smoothed ones.
    expect(await page.getByTestId('loss-chart').locator('.recharts-line').count()).toBe(6);
    // The learning rate is a schedule, not a measurement: never smoothed.
    expect(await attribute(page, 'lr-chart', 'data-smoothing')).toBe('0');
    await session.screenshotBothWidths(page, 'run-log-smoothed');

    // Steps 1 to 10 span the plot: 2/9 and 7/9 of its width are steps 3 and 8.
    expect(await attribute(page, 'batch-chart', 'data-zoom')).toBeNull();
    await dragAcross(page, 'batch-chart', 2 / 9, 7 / 9);
    expect(await attribute(page, 'batch-chart', 'data-zoom')).toBe('3-8');
    expect(await attribute(page, 'batch-chart', 'data-points')).toBe('10');
    // The brush's left handle is a slider: the arrow keys move it one point.
    await page.getByTestId('batch-chart').locator('.recharts-brush-traveller').first().focus();
    await page.keyboard.press('ArrowRight');
    expect(await attribute(page, 'batch-chart', 'data-zoom')).toBe('4-8');
    await session.screenshotBothWidths(page, 'run-zoomed');
    await page.getByTestId('batch-chart').getByRole('button', { name: 'Reset zoom' }).click();
    expect(await attribute(page, 'batch-chart', 'data-zoom')).toBeNull();
    expect(await page.getByTestId('batch-chart').getByRole('button', { name: 'Reset zoom' }).count()).toBe(0);
  }, 180_000);

  it('draws the compared runs as parallel coordinates, one line per run', async () => {
    const ids = [runs.first, runs.resumed, runs.other];
    const page = await session.open(`/compare?ids=${ids.join(',')}`);
    const plot = page.getByTestId('parallel-coordinates');
    await plot.waitFor();
    expect(await plot.getAttribute('data-lines')).toBe('3');
    expect(await attributes(plot.locator('path[data-run-id]'), 'data-run-id')).toEqual(ids);
    // An axis per differing hyperparameter (epochs 3, 5 and 2; learning rate 0.05, 0.05 and 0.02), then accuracy.
    expect(await attributes(plot.locator('[data-axis]'), 'data-axis')).toEqual([
      'epochs',
      'learningRate',
      'best test accuracy',
    ]);
    expect(await plot.locator('svg[role=img] > title').textContent()).toBe(
      'Parallel coordinates of 3 runs: epochs, learningRate, best test accuracy.',
    );
    const description = (await plot.locator('svg[role=img] > desc').textContent()) ?? '';
    expect(description).toMatch(
      /^first: epochs 3, learningRate 0\.05, best test accuracy \d+\.\d%\. first \(resumed from epoch 3\): epochs 5, learningRate 0\.05, best test accuracy \d+\.\d%\. other: epochs 2, learningRate 0\.02, best test accuracy \d+\.\d%\.$/,
    );
    // The compare charts share the settings: log scale reaches both loss charts.
    await page.getByLabel('Log scale for losses').check();
    expect(await attribute(page, 'compare-loss', 'data-scale')).toBe('log');
    expect(await attribute(page, 'compare-test-loss', 'data-scale')).toBe('log');
    expect(await attribute(page, 'compare-accuracy', 'data-scale')).toBe('linear');
    await session.screenshotBothWidths(page, 'compare-parallel-coordinates');

    expect(session.consoleErrors).toEqual([]);
  }, 180_000);
});
