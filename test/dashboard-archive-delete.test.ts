// Issue 13, item 3, in Chromium: a run archived on its page leaves the runs list and is listed under "Show archived";
// a run deleted on its page (after a confirm) is gone with its files; on the Models page an alias moves to another
// version and another is removed, a version's description is edited, a version and a model are deleted. Screenshots
// at desktop and 390 px go to test-artifacts/archive-delete/.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BROWSER_TEST_TIMEOUT_MS, startDashboardBrowser, type DashboardBrowser } from './support/dashboard-browser.js';
import { createTinyModel, registerTinyDataset, startRun, waitForRun } from './support/tiny-runs.js';

vi.setConfig({ testTimeout: BROWSER_TEST_TIMEOUT_MS, hookTimeout: BROWSER_TEST_TIMEOUT_MS });

let session: DashboardBrowser;
/** The lab's ARTIFACT_DIR, to see a deleted run's files go. */
let artifactDir: string;
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

/** Each alias of model 'tiny' as the Models page shows it: [alias, the version its select shows]. */
async function shownAliases(page: Page): Promise<[string, string][]> {
  const items = page.locator('[data-testid=aliases-tiny] li');
  const shown: [string, string][] = [];
  for (const item of await items.all()) {
    const alias = (await item.getAttribute('data-alias'))!;
    shown.push([alias, await item.getByLabel(`Version of alias ${alias}`).inputValue()]);
  }
  return shown;
}

/**
 * Waits until `scope` shows an alert with exactly `message` (beside Next's empty route announcer, or an earlier
 * alert that is still shown).
 */
async function expectAlert(scope: Page | Locator, message: string): Promise<void> {
  await expect.poll(() => scope.getByRole('alert').allTextContents(), { timeout: 15_000 }).toContain(message);
}

async function registry() {
  const { model } = await session.graphql<{
    model: {
      versions: { version: number; aliases: string[]; description: string }[];
      aliases: { alias: string; version: { version: number } }[];
    };
  }>(`{ model(name: "tiny") { versions { version aliases description } aliases { alias version { version } } } }`);
  return model;
}

beforeAll(async () => {
  artifactDir = await fs.mkdtemp(path.join(os.tmpdir(), 'resnet-lab-archive-delete-artifacts-'));
  session = await startDashboardBrowser('archive-delete', { ARTIFACT_DIR: artifactDir });
  await createTinyModel(session);
  await createTinyModel(session, { name: 'spare' });
  await registerTinyDataset(session);
  // Created oldest first: the list shows them newest first.
  runs['promoted'] = await startRun(session, { name: 'promoted', epochs: 2 });
  runs['to archive'] = await startRun(session, { name: 'to archive', epochs: 1 });
  runs['to delete'] = await startRun(session, { name: 'to delete', epochs: 1 });
  const checkpoints: Record<string, string> = {};
  for (const [name, id] of Object.entries(runs)) {
    checkpoints[name] = (await waitForRun(session, id)).latestCheckpoint!.id;
  }
  // Two versions of model tiny: production on v1, the last checkpoint of run 'promoted'; staging on v2, that of run
  // 'to archive' (archiving leaves versions alone).
  for (const [name, alias] of [
    ['promoted', 'production'],
    ['to archive', 'staging'],
  ] as const) {
    await session.graphql(
      `mutation($id: ID!, $alias: String!) { promoteCheckpoint(input: { checkpointId: $id, aliases: [$alias] }) { id } }`,
      { id: checkpoints[name], alias },
    );
  }
}, 600_000);
afterAll(async () => {
  await session?.close();
  if (artifactDir) await fs.rm(artifactDir, { recursive: true, force: true });
}, 60_000);

describe('runs', () => {
  it('archives a run on its page: it leaves the list, and Show archived lists it until it is unarchived', async () => {
    const page = await session.open(`/runs/${runs['to archive']}`);
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await page.getByTestId('run-archived').waitFor();
    await expect(page.getByRole('button', { name: 'Unarchive', exact: true }).isVisible()).resolves.toBe(true);
    await session.screenshotBothWidths(page, 'run-archived');

    await page.goto(new URL('/', session.lab.dashboardUrl).href);
    await expectRunNames(page, ['to delete', 'promoted']);
    // The box shows the URL's state: it turns checked once the URL has archived=1.
    await page.getByLabel('Show archived').click();
    await page.waitForURL(/\?archived=1$/);
    await expectRunNames(page, ['to archive']);
    expect(new URL(page.url()).search).toBe('?archived=1');
    await session.screenshotBothWidths(page, 'runs-archived');
    // The view is in the URL: a reload keeps it.
    await page.reload();
    await expectRunNames(page, ['to archive']);
    await expect(page.getByLabel('Show archived').isChecked()).resolves.toBe(true);

    await page.getByRole('link', { name: 'to archive' }).click();
    await page.getByRole('button', { name: 'Unarchive', exact: true }).click();
    await page.getByRole('button', { name: 'Archive', exact: true }).waitFor();
    await expect(page.getByTestId('run-archived').count()).resolves.toBe(0);
    await page.goto(new URL('/', session.lab.dashboardUrl).href);
    await expectRunNames(page, ['to delete', 'to archive', 'promoted']);
    await page.close();
  });

  it('deletes a run on its page after a confirm, with its files', async () => {
    const id = runs['to delete']!;
    const { run } = await session.graphql<{ run: { checkpoints: { location: string }[] } }>(
      `query($id: ID!) { run(id: $id) { checkpoints { location } } }`,
      { id },
    );
    expect(run.checkpoints.map((checkpoint) => checkpoint.location)).toEqual([`runs/${id}/checkpoints/epoch-0001`]);
    const runDirectory = path.join(artifactDir, 'runs', id);
    await expect(fs.readdir(runDirectory)).resolves.toContain('checkpoints');

    const page = await session.open(`/runs/${id}`);
    await page.getByRole('button', { name: 'Delete run', exact: true }).click();
    const question = page.getByRole('group', {
      name: "Delete run 'to delete' with its metrics, checkpoints and files? This cannot be undone.",
    });
    await question.waitFor();
    await session.screenshotBothWidths(page, 'run-delete-confirm');
    // Keep closes the question; nothing is deleted.
    await question.getByRole('button', { name: 'Keep', exact: true }).click();
    await expect(question.count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Delete run', exact: true }).click();
    await question.getByRole('button', { name: 'Delete run', exact: true }).click();
    await page.waitForURL(new URL('/', session.lab.dashboardUrl).href);
    await expectRunNames(page, ['to archive', 'promoted']);

    const after = await session.graphql<{ run: null }>(`query($id: ID!) { run(id: $id) { id } }`, { id });
    expect(after).toEqual({ run: null });
    await expect(fs.stat(runDirectory)).rejects.toMatchObject({ code: 'ENOENT' });
    await page.close();
  });

  it("shows the API's reason when a run cannot be deleted", async () => {
    const page = await session.open(`/runs/${runs['promoted']}`);
    await page.getByRole('button', { name: 'Delete run', exact: true }).click();
    await page
      .getByRole('group', {
        name: "Delete run 'promoted' with its metrics, checkpoints and files? This cannot be undone.",
      })
      .getByRole('button', { name: 'Delete run', exact: true })
      .click();
    await expectAlert(
      page,
      "Run 'promoted' cannot be deleted: 1 model version was promoted from its checkpoints ('tiny' v1 from epoch 2) " +
        'and records the run it came from. Delete them with deleteModelVersion first, or archive the run with ' +
        'archiveRun to hide it.',
    );
    await page.close();
  });
});

describe('the Models page', () => {
  it('moves and removes aliases, edits a description, and deletes a version and a model', async () => {
    const page = await session.open('/models');
    const card = page.getByTestId('model-tiny');
    await card.getByTestId('aliases-tiny').waitFor();
    await expect(shownAliases(page)).resolves.toEqual([
      ['production', '1'],
      ['staging', '2'],
    ]);

    // Move production to v2.
    await card.getByLabel('Version of alias production').selectOption('2');
    await expect
      .poll(() => shownAliases(page))
      .toEqual([
        ['production', '2'],
        ['staging', '2'],
      ]);
    // Remove staging.
    await card.getByRole('button', { name: 'Remove alias staging' }).click();
    await expect.poll(() => shownAliases(page)).toEqual([['production', '2']]);
    // A new alias on v1, and an invalid one that the API refuses with its reason.
    await card.getByLabel('New alias').fill('canary');
    await card.locator('select[name=version]').selectOption('1');
    await card.getByRole('button', { name: 'Set alias' }).click();
    await expect
      .poll(() => shownAliases(page))
      .toEqual([
        ['canary', '1'],
        ['production', '2'],
      ]);
    await card.getByLabel('New alias').fill('blue green');
    await card.getByRole('button', { name: 'Set alias' }).click();
    await expectAlert(
      card,
      "Invalid alias 'blue green': use 1 to 50 letters, digits, '-', '_' or '.', e.g. 'production'.",
    );

    // Describe v1.
    await card.getByRole('button', { name: 'Edit the description of v1' }).click();
    await card.getByLabel('Description of v1').fill('First epoch: the baseline.');
    await session.screenshotBothWidths(page, 'models-editing');
    await card.getByRole('button', { name: 'Save', exact: true }).click();
    await card.getByText('First epoch: the baseline.').waitFor();

    // Delete v2, after a confirm: production goes with it.
    await card.locator('tr[data-version="2"]').getByRole('button', { name: 'Delete', exact: true }).click();
    await card.getByRole('button', { name: 'Delete v2' }).click();
    await expect.poll(() => card.locator('[data-testid=versions-tiny] tr').count()).toBe(1);
    await expect.poll(() => shownAliases(page)).toEqual([['canary', '1']]);
    await session.screenshotBothWidths(page, 'models-registry');

    expect(await registry()).toEqual({
      versions: [{ version: 1, aliases: ['canary'], description: 'First epoch: the baseline.' }],
      aliases: [{ alias: 'canary', version: { version: 1 } }],
    });

    // A model with runs stays, with the API's reason; one without goes. How many runs it has depends on whether the
    // delete test above ran, so ask.
    const { model } = await session.graphql<{ model: { runCount: number } }>(`{ model(name: "tiny") { runCount } }`);
    expect([2, 3]).toContain(model.runCount);
    await card.getByRole('button', { name: 'Delete model', exact: true }).click();
    await card
      .getByRole('group', { name: "Delete model 'tiny'? This cannot be undone." })
      .getByRole('button', { name: 'Delete model', exact: true })
      .click();
    await expectAlert(
      card,
      `Model 'tiny' cannot be deleted: ${model.runCount} runs trained it, and their metrics and checkpoints refer ` +
        'to it; delete them with deleteRun first.',
    );
    const spare = page.getByTestId('model-spare');
    await spare.getByRole('button', { name: 'Delete model', exact: true }).click();
    await spare
      .getByRole('group', { name: "Delete model 'spare'? This cannot be undone." })
      .getByRole('button', { name: 'Delete model', exact: true })
      .click();
    await expect.poll(() => page.getByTestId('model-spare').count()).toBe(0);
    const { models } = await session.graphql<{ models: { name: string }[] }>(`{ models { name } }`);
    expect(models.map((model) => model.name)).toEqual(['tiny']);
    await page.close();
  });

  it('left no console errors', () => {
    expect(session.consoleErrors).toEqual([]);
  });
});
