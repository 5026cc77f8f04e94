// Issue 13, item 7, in Chromium: the Evaluate page runs an evaluation on a chosen dataset and split, lists it, and
// after a reload shows the same stored evaluation without measuring again; a second one on another split joins the
// list, errors show where they belong, and the Models page lists a model's latest evaluations. Screenshots at desktop
// and 390 px go to test-artifacts/evaluations/.
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BROWSER_TEST_TIMEOUT_MS, startDashboardBrowser, type DashboardBrowser } from './support/dashboard-browser.js';
import { createTinyModel, registerTinyDataset, trainedRun } from './support/tiny-runs.js';

vi.setConfig({ testTimeout: BROWSER_TEST_TIMEOUT_MS, hookTimeout: BROWSER_TEST_TIMEOUT_MS });

let session: DashboardBrowser;
let checkpointId: string;

interface StoredEvaluation {
  id: string;
  datasetName: string;
  split: string;
  images: number;
  createdAt: string;
}

/** The checkpoint's evaluations as the API stores them, newest first. */
async function storedEvaluations(): Promise<StoredEvaluation[]> {
  const { checkpoint } = await session.graphql<{ checkpoint: { evaluations: StoredEvaluation[] } }>(
    `query($id: ID!) { checkpoint(id: $id) { evaluations { id datasetName split images createdAt } } }`,
    { id: checkpointId },
  );
  return checkpoint.evaluations;
}

beforeAll(async () => {
  session = await startDashboardBrowser('evaluations');
  await createTinyModel(session);
  for (const [name, trainSize, testSize] of [
    ['tiny', 64, 32],
    ['tiny-other', 48, 16],
    ['tiny-no-test', 24, 0],
  ] as const) {
    await registerTinyDataset(session, { name, trainSize, testSize });
  }
  checkpointId = (await trainedRun(session, { name: 'evaluated', epochs: 1 })).latestCheckpoint!.id;
}, 600_000);
afterAll(async () => {
  await session?.close();
}, 60_000);

/** The evaluations the first test makes from the form, oldest first: [dataset, split]. */
const FORM_EVALUATIONS = [
  ['tiny-other', 'TEST'],
  ['tiny', 'ALL'],
] as const;

/**
 * Makes those of FORM_EVALUATIONS that are not stored yet, in order, through the API: the later tests find the same
 * two evaluations whether or not the first test ran before them.
 */
async function ensureFormEvaluations(): Promise<void> {
  const stored = await storedEvaluations();
  for (const [datasetName, split] of FORM_EVALUATIONS) {
    if (stored.some((evaluation) => evaluation.datasetName === datasetName && evaluation.split === split)) continue;
    await session.graphql(`mutation($input: EvaluateCheckpointInput!) { evaluateCheckpoint(input: $input) { id } }`, {
      input: { checkpointId, datasetName, split },
    });
  }
}

/** The numbers of the confusion matrix's cells, summed. */
async function matrixTotal(page: Page): Promise<number> {
  const cells = await page.locator('[data-testid=confusion-matrix] tbody td').allTextContents();
  return cells.map(Number).reduce((total, count) => total + count, 0);
}

/** The texts of the cells of each row of a table. */
async function cellTexts(rows: Locator): Promise<string[][]> {
  const texts: string[][] = [];
  for (let index = 0; index < (await rows.count()); index++) {
    texts.push(await rows.nth(index).locator('td').allTextContents());
  }
  return texts;
}

/** The list of past evaluations as its rows read: [when, dataset, split, accuracy, images]. */
function listedRows(page: Page): Promise<string[][]> {
  return cellTexts(page.locator('[data-testid=evaluation-list] tbody tr'));
}

/** Runs an evaluation from the form and waits until the page shows it; returns its id from the URL. */
async function evaluateFromForm(page: Page, datasetName: string, split: string): Promise<string> {
  const before = new URL(page.url()).searchParams.get('evaluation');
  await page.selectOption('select[name=datasetName]', datasetName);
  await page.selectOption('select[name=split]', split);
  await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
  // Pending while the worker runs the checkpoint over the images: the button waits, the status counts seconds.
  await page.getByTestId('evaluation-pending').waitFor();
  expect(await page.getByRole('button', { name: 'Evaluating…' }).isDisabled()).toBe(true);
  await page.waitForURL(
    (url) => {
      const id = url.searchParams.get('evaluation');
      return id !== null && id !== before;
    },
    { timeout: 120_000 },
  );
  const id = new URL(page.url()).searchParams.get('evaluation')!;
  await page.locator(`[data-testid=evaluation-detail][data-evaluation-id="${id}"]`).waitFor();
  return id;
}

describe('the Evaluate page (issue 13, item 7)', () => {
  it('runs evaluations on a chosen dataset and split, lists them, and shows a stored one after a reload', async () => {
    // Every evaluateCheckpoint the browser sends: a page load must send none.
    const evaluationRequests: string[] = [];
    const page = await session.open(`/evaluate?checkpoint=${checkpointId}`);
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.postData()?.includes('evaluateCheckpoint')) {
        evaluationRequests.push(request.url());
      }
    });

    // Nothing measured on load: no evaluation yet, and none shown.
    await page.getByText('None yet: choose a dataset and split above and press Evaluate.').waitFor();
    expect(await page.locator('[data-testid=confusion-matrix]').count()).toBe(0);
    expect(await storedEvaluations()).toEqual([]);
    // The run's dataset is chosen first; a dataset of other classes cannot be chosen.
    expect(await page.locator('select[name=datasetName]').inputValue()).toBe('tiny');
    expect(await page.locator('select[name=datasetName] option:disabled').allTextContents()).toEqual([
      'cifar10 (other classes)',
      'synthetic (other classes)',
    ]);
    await session.screenshotBothWidths(page, 'evaluate-none');

    // A first evaluation on another dataset than the run's.
    const firstId = await evaluateFromForm(page, 'tiny-other', 'TEST');
    expect(evaluationRequests).toHaveLength(1);
    const [first] = await storedEvaluations();
    expect(first).toMatchObject({ id: firstId, datasetName: 'tiny-other', split: 'TEST', images: 16 });
    expect(await matrixTotal(page)).toBe(16);
    const perClassImages = await page.locator('[data-testid=per-class] tbody td:nth-of-type(3)').allTextContents();
    expect(perClassImages).toEqual(['4', '4', '4', '4']);
    const firstRows = await listedRows(page);
    expect(firstRows.map((row) => row.slice(1, 3).concat(row.slice(4)))).toEqual([['tiny-other', 'test split', '16']]);
    const summary = await page.getByTestId('evaluation-summary').textContent();
    await session.screenshotBothWidths(page, 'evaluate-first');

    // A reload reads the stored evaluation: the same id and time, and no evaluateCheckpoint sent.
    await page.reload();
    await page.locator(`[data-testid=evaluation-detail][data-evaluation-id="${firstId}"]`).waitFor();
    expect(await page.getByTestId('evaluation-summary').textContent()).toBe(summary);
    expect(await listedRows(page)).toEqual(firstRows);
    expect(await matrixTotal(page)).toBe(16);
    expect(evaluationRequests).toHaveLength(1);
    expect(await storedEvaluations()).toEqual([first]);

    // A second, on the run's dataset and every one of its images: listed first, and shown.
    const secondId = await evaluateFromForm(page, 'tiny', 'ALL');
    expect(evaluationRequests).toHaveLength(2);
    const stored = await storedEvaluations();
    expect(stored.map(({ id, datasetName, split, images }) => ({ id, datasetName, split, images }))).toEqual([
      { id: secondId, datasetName: 'tiny', split: 'ALL', images: 96 },
      { id: firstId, datasetName: 'tiny-other', split: 'TEST', images: 16 },
    ]);
    expect(await matrixTotal(page)).toBe(96);
    const rows = await listedRows(page);
    expect(rows.map((row) => [row[1], row[2], row[4]])).toEqual([
      ['tiny', 'all images', '96'],
      ['tiny-other', 'test split', '16'],
    ]);
    expect(rows[1]).toEqual(firstRows[0]);
    await session.screenshotBothWidths(page, 'evaluate-second');

    // The older one opens from the list, and stays open across a reload.
    await page.locator(`[data-evaluation-id="${firstId}"] a`).click();
    await page.waitForURL((url) => url.searchParams.get('evaluation') === firstId);
    await page.locator(`[data-testid=evaluation-detail][data-evaluation-id="${firstId}"]`).waitFor();
    expect(await matrixTotal(page)).toBe(16);
    await page.reload();
    await page.locator(`[data-testid=evaluation-detail][data-evaluation-id="${firstId}"]`).waitFor();
    expect(await page.getByTestId('evaluation-summary').textContent()).toBe(summary);
    expect(evaluationRequests).toHaveLength(2);
    await page.close();
  }, 300_000);

  it("shows the API's error by the dataset it is about, and stores nothing", async () => {
    await ensureFormEvaluations();
    const before = await storedEvaluations();
    const page = await session.open(`/evaluate?checkpoint=${checkpointId}`);
    await page.locator('[data-testid=evaluation-list]').waitFor();
    await page.selectOption('select[name=datasetName]', 'tiny-no-test');
    await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
    await expect
      .poll(() => page.locator('[data-field=datasetName]').textContent(), { timeout: 60_000 })
      .toBe("Dataset 'tiny-no-test' has no test images to evaluate on; evaluate split TRAIN or ALL instead.");
    expect(await page.getByRole('button', { name: 'Evaluate', exact: true }).isEnabled()).toBe(true);
    expect(await storedEvaluations()).toEqual(before);
    await session.screenshotBothWidths(page, 'evaluate-error');
    await page.close();
  }, 120_000);

  it("lists a model's latest evaluations on the Models page, each opening on the Evaluate page", async () => {
    await ensureFormEvaluations();
    const [second, first] = await storedEvaluations();
    const page = await session.open('/models');
    const table = page.locator('[data-testid=evaluations-tiny]');
    await table.waitFor();
    const rows = await cellTexts(table.locator('tr'));
    expect(rows.map((row) => row.slice(1, 3))).toEqual([
      ['evaluated, epoch 1', 'tiny (all images)'],
      ['evaluated, epoch 1', 'tiny-other (test split)'],
    ]);
    await session.screenshotBothWidths(page, 'models-evaluations');
    await table.locator('tr').nth(1).locator('a').click();
    await page.waitForURL((url) => url.pathname === '/evaluate' && url.searchParams.get('evaluation') === first!.id);
    await page.locator(`[data-testid=evaluation-detail][data-evaluation-id="${first!.id}"]`).waitFor();
    expect(second!.id).not.toBe(first!.id);
    await page.close();
    expect(session.consoleErrors).toEqual([]);
  }, 120_000);
});
