// Issue 13, item 6, in Chromium: the run page's links download the run's epoch and batch metrics as CSV and JSON, and
// the compare page's the compared runs' epochs, as files the browser saves (Content-Disposition); the checkpoint
// table keeps its download link. Screenshots at desktop and 390 px go to test-artifacts/downloads/.
import fs from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BROWSER_TEST_TIMEOUT_MS, startDashboardBrowser, type DashboardBrowser } from './support/dashboard-browser.js';
import { createTinyModel, registerTinyDataset, trainedRun } from './support/tiny-runs.js';

vi.setConfig({ testTimeout: BROWSER_TEST_TIMEOUT_MS, hookTimeout: BROWSER_TEST_TIMEOUT_MS });

/** A name that CSV must quote: a comma and double quotes. */
const QUOTED_NAME = 'downloads, "first"';
const EPOCH_HEADER = 'epoch,trainLoss,trainAccuracy,testLoss,testAccuracy,learningRate,durationSeconds,imagesPerSecond';

let session: DashboardBrowser;
/** Run ids: `first` trains 2 epochs of 2 batches, `second` 1 epoch. */
const runs = { first: '', second: '' };

beforeAll(async () => {
  session = await startDashboardBrowser('downloads');
  await createTinyModel(session);
  await registerTinyDataset(session);
  runs.first = (await trainedRun(session, { name: QUOTED_NAME, epochs: 2 })).id;
  runs.second = (await trainedRun(session, { name: 'second', epochs: 1 })).id;
}, 600_000);
afterAll(async () => {
  await session?.close();
}, 60_000);

/** Clicks the link and returns the file the browser saved: its suggested name and text. */
async function downloadByClicking(page: Page, testId: string, linkText: string) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId(testId).getByRole('link', { name: linkText, exact: true }).click(),
  ]);
  expect(await download.failure()).toBeNull();
  return { name: download.suggestedFilename(), text: await fs.readFile(await download.path(), 'utf8') };
}

/** CSV records as lines, without the final CRLF. */
const records = (text: string) => text.replace(/\r\n$/, '').split('\r\n');

describe('metrics downloads in the dashboard (issue 13, item 6)', () => {
  it('downloads a run’s epochs and batches as CSV and JSON from the run page', async () => {
    const page = await session.open(`/runs/${runs.first}`);
    await page.getByTestId('run-downloads').waitFor();
    // The checkpoint table keeps its archive download, one per checkpoint whose files are kept.
    const { run } = await session.graphql<{ run: { checkpoints: { downloadPath: string | null }[] } }>(
      `query($id: ID!) { run(id: $id) { checkpoints { downloadPath } } }`,
      { id: runs.first },
    );
    const downloadable = run.checkpoints.filter((checkpoint) => checkpoint.downloadPath !== null).length;
    expect([1, 2]).toContain(downloadable);
    await page.getByTestId('checkpoints-table').waitFor();
    expect(
      await page.getByTestId('checkpoints-table').getByRole('link', { name: 'Download', exact: true }).count(),
    ).toBe(downloadable);
    await session.screenshotBothWidths(page, 'run');

    const csv = await downloadByClicking(page, 'run-downloads', 'Download CSV');
    expect(csv.name).toBe(`run-${runs.first}-metrics.csv`);
    const lines = records(csv.text);
    expect(lines[0]).toBe(EPOCH_HEADER);
    expect(lines.map((line) => line.split(',')[0])).toEqual(['epoch', '1', '2']);
    expect(lines.slice(1).every((line) => line.split(',').length === 8)).toBe(true);

    const json = await downloadByClicking(page, 'run-downloads', 'Download JSON');
    expect(json.name).toBe(`run-${runs.first}-metrics.json`);
    const parsed = JSON.parse(json.text) as { id: string; name: string; metrics: { epoch: number }[] };
    expect([parsed.id, parsed.name, parsed.metrics.map((metric) => metric.epoch)]).toEqual([
      runs.first,
      QUOTED_NAME,
      [1, 2],
    ]);

    // 64 images in batches of 32: 2 batches in each of 2 epochs, all stored.
    const batches = await downloadByClicking(page, 'run-downloads', 'CSV');
    expect(batches.name).toBe(`run-${runs.first}-batch-metrics.csv`);
    expect(records(batches.text).map((line) => line.split(',').slice(0, 3).join(','))).toEqual([
      'step,epoch,batch',
      '1,1,1',
      '2,1,2',
      '3,2,1',
      '4,2,2',
    ]);
    expect(session.consoleErrors).toEqual([]);
  });

  it('downloads the compared runs’ epochs, one row per run and epoch, from the compare page', async () => {
    const page = await session.open(`/compare?ids=${runs.first},${runs.second}`);
    await page.getByTestId('compare-downloads').waitFor();
    await session.screenshotBothWidths(page, 'compare');

    const csv = await downloadByClicking(page, 'compare-downloads', 'Download CSV');
    expect(csv.name).toBe('compare-2-runs-metrics.csv');
    const lines = records(csv.text);
    expect(lines[0]).toBe(`runId,runName,${EPOCH_HEADER}`);
    expect(lines.length).toBe(4);
    // Each row starts with the run's id, its name (quoted by RFC 4180's rules) and the epoch.
    const starts = [
      `${runs.first},"downloads, ""first""",1,`,
      `${runs.first},"downloads, ""first""",2,`,
      `${runs.second},second,1,`,
    ];
    expect(lines.slice(1).map((line, index) => line.slice(0, starts[index]!.length))).toEqual(starts);

    const json = await downloadByClicking(page, 'compare-downloads', 'Download JSON');
    expect(json.name).toBe('compare-2-runs-metrics.json');
    const parsed = JSON.parse(json.text) as { runs: { id: string; name: string; metrics: unknown[] }[] };
    expect(parsed.runs.map((run) => [run.id, run.name, run.metrics.length])).toEqual([
      [runs.first, QUOTED_NAME, 2],
      [runs.second, 'second', 1],
    ]);
    expect(session.consoleErrors).toEqual([]);
  });
});
