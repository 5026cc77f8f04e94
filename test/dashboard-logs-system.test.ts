// Issue 13, items 4 and 5, in Chromium: a run's page shows its log as the worker prints it (lines arriving through
// the runLogs subscription while it trains) and charts of the CPU and memory its training process used; after the
// run has ended, a reload shows the same log and charts from what was stored. Screenshots at desktop and 390 px go to
// test-artifacts/logs-system/.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BROWSER_TEST_TIMEOUT_MS, startDashboardBrowser, type DashboardBrowser } from './support/dashboard-browser.js';
import { createTinyModel, registerTinyDataset, startRun } from './support/tiny-runs.js';

vi.setConfig({ testTimeout: BROWSER_TEST_TIMEOUT_MS, hookTimeout: BROWSER_TEST_TIMEOUT_MS });

let session: DashboardBrowser;

beforeAll(async () => {
  // A sample a second, so that a run of a few seconds has several.
  session = await startDashboardBrowser('logs-system', { SYSTEM_METRICS_SECONDS: '1' });
  await createTinyModel(session);
  await registerTinyDataset(session, { trainSize: 128, testSize: 64 });
}, 600_000);
afterAll(async () => {
  await session?.close();
}, 60_000);

interface StoredRun {
  status: string;
  logs: { seq: number; stream: string; line: string }[];
  systemMetrics: { cpuPercent: number }[];
}

async function storedRun(id: string): Promise<StoredRun> {
  const { run } = await session.graphql<{ run: StoredRun }>(
    `query($id: ID!) { run(id: $id) { status logs { seq stream line } systemMetrics { cpuPercent } } }`,
    { id },
  );
  return run;
}

/** What the tests read of a DOM element (test/ compiles without the DOM's types). */
interface ShownElement {
  getAttribute(name: string): string | null;
  readonly lastElementChild: { readonly textContent: string | null } | null;
  readonly scrollHeight: number;
  readonly scrollTop: number;
  readonly clientHeight: number;
}

/** The log lines the page shows, as [seq, stream, text]. */
async function shownLines(page: Page): Promise<[number, string, string][]> {
  return page
    .locator('[data-testid=log-lines] > div')
    .evaluateAll((rows: ShownElement[]) =>
      rows.map((row): [number, string, string] => [
        Number(row.getAttribute('data-seq')),
        row.getAttribute('data-stream') ?? '',
        row.lastElementChild?.textContent ?? '',
      ]),
    );
}

async function chartPoints(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).getAttribute('data-points'));
}

describe('the run page', () => {
  it('shows the log live and charts of CPU and memory, and both again after a reload', async () => {
    const runId = await startRun(session, {
      name: 'logged',
      epochs: 8,
      schedule: 'constant',
      learningRate: 0.05,
      backend: 'wasm',
    });
    const page = await session.open(`/runs/${runId}`);
    const logs = page.getByTestId('run-logs');
    await logs.getByTestId('log-line-count').waitFor();
    const firstShown = (await shownLines(page)).length;

    // Lines arrive while the page stays as it is, the first of them the worker's own, and so do samples.
    await expect
      .poll(async () => (await shownLines(page)).find(([, , text]) => text.startsWith('[Train epoch 2]')), {
        timeout: 120_000,
      })
      .toBeDefined();
    await expect.poll(() => chartPoints(page, 'cpu-chart'), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    expect((await storedRun(runId)).status).toBe('RUNNING');
    expect(await logs.getByRole('log', { name: 'Run log' }).isVisible()).toBe(true);
    await session.screenshotBothWidths(page, 'run-logs-live');

    // The last line comes live too: the run's end, after everything its training process printed.
    await expect.poll(async () => (await shownLines(page)).at(-1)?.[2], { timeout: 120_000 }).toBe('Run completed.');
    const live = await shownLines(page);
    expect(live.length).toBeGreaterThan(firstShown);
    const stored = await storedRun(runId);
    expect(stored.status).toBe('COMPLETED');
    expect(live).toEqual(stored.logs.map((line) => [line.seq, line.stream, line.line]));
    expect(live[0]![2]).toMatch(/^Claimed by worker \S+ on .+ \(attempt 1\)\.$/);
    expect(live.filter(([, stream]) => stream === 'STDOUT').map(([, , text]) => text)).toContain(
      'Data: 128 training, 64 test images, 4 classes',
    );
    // Following: the box is scrolled to its last line.
    const box = logs.getByTestId('log-lines');
    await expect
      .poll(() =>
        box.evaluate((element: ShownElement) => element.scrollHeight - element.scrollTop - element.clientHeight),
      )
      .toBeLessThanOrEqual(1);
    // Resizes keep it following: the lines rewrap at 390 px and back, and the browser's own scrolls do not count.
    await session.screenshotBothWidths(page, 'run-logs-done');
    await expect
      .poll(() =>
        box.evaluate((element: ShownElement) => element.scrollHeight - element.scrollTop - element.clientHeight),
      )
      .toBeLessThanOrEqual(1);
    await expect(page.getByTestId('follow-logs').isChecked()).resolves.toBe(true);
    // The reader's own scroll up stops following.
    await box.hover();
    await page.mouse.wheel(0, -300);
    await expect.poll(() => page.getByTestId('follow-logs').isChecked()).toBe(false);
    await page.close();

    // A reload shows what was stored: the same lines, and as many points as the run has samples.
    const reloaded = await session.open(`/runs/${runId}`);
    await reloaded.getByTestId('log-lines').waitFor();
    await expect.poll(() => shownLines(reloaded)).toEqual(live);
    const samples = (await storedRun(runId)).systemMetrics;
    expect(samples.length, 'a run of several seconds has several samples').toBeGreaterThanOrEqual(2);
    await expect.poll(() => chartPoints(reloaded, 'cpu-chart')).toBe(samples.length);
    expect(await chartPoints(reloaded, 'memory-chart')).toBe(samples.length);
    // No GPU on wasm: no GPU charts.
    expect(await reloaded.getByTestId('gpu-chart').count()).toBe(0);
    const mean = Math.round(samples.reduce((sum, sample) => sum + sample.cpuPercent, 0) / samples.length);
    const peak = Math.round(Math.max(...samples.map((sample) => sample.cpuPercent)));
    await expect(reloaded.getByTestId('system-metrics-summary').textContent()).resolves.toMatch(
      new RegExp(
        `^CPU ${mean}% mean, ${peak}% peak\\. Training process memory \\d+ MiB mean, \\d+ MiB peak\\. ` +
          `The machine's memory in use \\d+(\\.\\d)? [MG]iB mean, \\d+(\\.\\d)? [MG]iB peak\\. Over ${samples.length} samples\\.$`,
      ),
    );
    // Each chart describes itself for screen readers.
    await expect(reloaded.getByTestId('cpu-chart').getByTestId('chart-summary').textContent()).resolves.toMatch(
      new RegExp(`^CPU \\(% of one core\\)\\. training process CPU %: ${samples.length} seconds, last `),
    );
    await session.screenshotBothWidths(reloaded, 'run-logs-system');
    await reloaded.close();
    expect(session.consoleErrors).toEqual([]);
  }, 600_000);
});
