// Issue 13, item 2, in Chromium: tags and notes added on the run page (with the keyboard) are saved and come back
// after a reload; the runs list finds runs by text in their name, tags or notes and by tag, and keeps its whole view
// in the URL, so that a reload, a shared link and Back show the same runs. Screenshots of the filtered list and the
// run page at desktop and 390 px go to test-artifacts/tags-notes/.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BROWSER_TEST_TIMEOUT_MS, startDashboardBrowser, type DashboardBrowser } from './support/dashboard-browser.js';
import { createTinyModel, registerTinyDataset, startRun, waitForRun } from './support/tiny-runs.js';

vi.setConfig({ testTimeout: BROWSER_TEST_TIMEOUT_MS, hookTimeout: BROWSER_TEST_TIMEOUT_MS });

let session: DashboardBrowser;
/** Run ids by name. */
const runs: Record<string, string> = {};

/** The names of the runs the list shows, once it shows `expected` (or what it shows when that does not come). */
async function expectRunNames(page: Page, expected: string[]): Promise<void> {
  const names = page.locator('[data-testid=runs-table] tbody tr td:nth-child(2) > a');
  await expect
    .poll(async () => ((await page.locator('[data-testid=runs-table]').count()) ? names.allTextContents() : []), {
      timeout: 15_000,
    })
    .toEqual(expected);
}

/** The query string of the page's URL, decoded as the browser holds it. */
function queryOf(page: Page): Record<string, string[]> {
  const params = new URL(page.url()).searchParams;
  return Object.fromEntries([...new Set(params.keys())].map((key) => [key, params.getAll(key)]));
}

beforeAll(async () => {
  session = await startDashboardBrowser('tags-notes');
  await createTinyModel(session);
  await registerTinyDataset(session);
  // Created oldest first: the list shows them newest first.
  runs['run one'] = await startRun(session, { name: 'run one', epochs: 1, tags: [], notes: '' });
  runs['run two'] = await startRun(session, { name: 'run two', epochs: 1, tags: ['sweep'], notes: '' });
  runs['run three'] = await startRun(session, {
    name: 'run three',
    epochs: 1,
    tags: ['sweep', 'cosine-lr'],
    notes: 'Tried the Cosine schedule here.',
  });
  for (const id of Object.values(runs)) await waitForRun(session, id);
}, 600_000);
afterAll(async () => {
  await session?.close();
}, 60_000);

describe('tags and notes', () => {
  it('are added on the run page with the keyboard, saved, and shown again after a reload', async () => {
    const page = await session.open(`/runs/${runs['run one']}`);
    const editor = page.locator('[data-testid=run-annotations]');
    await editor.getByText('No tags yet.').waitFor();

    // Tags: type and press Enter, one at a time; a third is removed again with the keyboard.
    for (const tag of ['baseline', 'lr:0.05', 'mistake']) {
      await editor.getByLabel('New tag').fill(tag);
      await editor.getByLabel('New tag').press('Enter');
      await expect.poll(() => editor.getByTestId('annotations-message').textContent()).toBe(`Added tag ${tag}.`);
    }
    await editor.getByRole('button', { name: 'Remove tag mistake' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => editor.getByTestId('annotations-message').textContent()).toBe('Removed tag mistake.');

    // Notes: Save is enabled once they differ from what is saved.
    const notes = 'Baseline for the sweep.\nLearning rate 0.05, no warm-up.';
    await expect(editor.getByRole('button', { name: 'Save notes' }).isDisabled()).resolves.toBe(true);
    await editor.getByLabel('Notes').fill(notes);
    await editor.getByRole('button', { name: 'Save notes' }).click();
    await expect.poll(() => editor.getByTestId('annotations-message').textContent()).toBe('Notes saved.');

    // A wrong tag gets the API's message, and nothing changes.
    await editor.getByLabel('New tag').fill('lr=0.05');
    await editor.getByRole('button', { name: 'Add tag' }).click();
    await expect(editor.getByRole('alert').textContent()).resolves.toBe(
      "Tag 'lr=0.05' has the character '=': use letters, digits, spaces, '-', '_', '.', ':' or '/'.",
    );

    await page.reload();
    const list = page.getByRole('list', { name: 'Tags of this run' });
    await list.waitFor();
    await expect(list.getByRole('listitem').allTextContents()).resolves.toEqual(['baseline×', 'lr:0.05×']);
    await expect(editor.getByLabel('Notes').inputValue()).resolves.toBe(notes);
    const { run } = await session.graphql<{ run: { tags: string[]; notes: string } }>(
      `query($id: ID!) { run(id: $id) { tags notes } }`,
      { id: runs['run one'] },
    );
    expect(run).toEqual({ tags: ['baseline', 'lr:0.05'], notes });
    await session.screenshotBothWidths(page, 'run-tags-notes');
    await page.close();
  });
});

describe('the runs list', () => {
  it('searches names, tags and notes, filters by tag, and keeps it all in the URL', async () => {
    // Run one's tags as the test above leaves them, set here so that this test does not need that one to have run.
    await session.graphql(
      `mutation($id: ID!) { updateRun(input: { id: $id, tags: ["baseline", "lr:0.05"] }) { id } }`,
      { id: runs['run one'] },
    );
    const page = await session.open('/');
    await expectRunNames(page, ['run three', 'run two', 'run one']);
    await expect(
      page.getByRole('list', { name: 'Tags of run three' }).getByRole('button').allTextContents(),
    ).resolves.toEqual(['sweep', 'cosine-lr']);

    // By text in a tag (run one's 'baseline'), ignoring case; then in the notes.
    const search = page.getByRole('searchbox', { name: 'Search' });
    await search.fill('BASELINE');
    await expectRunNames(page, ['run one']);
    await expect.poll(() => queryOf(page)).toEqual({ q: ['BASELINE'] });
    await search.fill('cosine SCHEDULE');
    await search.press('Enter');
    await expectRunNames(page, ['run three']);
    await search.fill('no run has this');
    await page.getByText('No runs match these filters.').waitFor();
    await search.fill('run t');
    await expectRunNames(page, ['run three', 'run two']);

    // A tag chip in the list filters by its tag; sorting by name keeps the search and the tag.
    await page.getByRole('button', { name: 'Show runs tagged cosine-lr' }).click();
    await expectRunNames(page, ['run three']);
    await page.getByRole('list', { name: 'Runs have all these tags' }).waitFor();
    await page.getByRole('button', { name: 'Stop filtering by tag cosine-lr' }).click();
    await page.getByLabel('Tag', { exact: true }).fill('sweep');
    await page.getByLabel('Tag', { exact: true }).press('Enter');
    await page.getByRole('button', { name: 'Name' }).click();
    await page.getByRole('button', { name: 'Name' }).click();
    await expectRunNames(page, ['run three', 'run two']);
    await expect.poll(() => queryOf(page)).toEqual({ q: ['run t'], tag: ['sweep'], sort: ['name'], order: ['asc'] });
    // Ascending: 'run three' < 'run two'. Once more makes it descending.
    await page.getByRole('button', { name: 'Name ↑' }).click();
    await expectRunNames(page, ['run two', 'run three']);
    await expect.poll(() => queryOf(page)).toEqual({ q: ['run t'], tag: ['sweep'], sort: ['name'], order: ['desc'] });
    const filteredUrl = page.url();
    await session.screenshotBothWidths(page, 'runs-filtered');

    // A reload shows the same view, search box and tag chip included.
    await page.reload();
    await expectRunNames(page, ['run two', 'run three']);
    await expect(search.inputValue()).resolves.toBe('run t');
    await page.getByRole('button', { name: 'Stop filtering by tag sweep' }).waitFor();
    await page.getByRole('button', { name: 'Name ↓' }).waitFor();

    // Opening a run and going Back returns to the same view.
    await page.getByRole('link', { name: 'run two' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    await page.goBack();
    await expectRunNames(page, ['run two', 'run three']);
    expect(page.url()).toBe(filteredUrl);

    // The link shared with someone else (a new page) shows it too; the status filter joins the URL.
    const shared = await session.open(new URL(filteredUrl).pathname + new URL(filteredUrl).search);
    await expectRunNames(shared, ['run two', 'run three']);
    await shared.getByLabel('Status').selectOption('FAILED');
    await shared.getByText('No runs match these filters.').waitFor();
    await expect
      .poll(() => queryOf(shared))
      .toEqual({
        q: ['run t'],
        tag: ['sweep'],
        status: ['FAILED'],
        sort: ['name'],
        order: ['desc'],
      });
    await shared.close();
    await page.close();
    expect(session.consoleErrors).toEqual([]);
  });
});
