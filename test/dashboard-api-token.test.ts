// In Chromium, against an API with API_TOKEN set: the dashboard browses without a token, says where to give one when
// a change is refused, sends the token it was given with mutations and downloads (a plain link cannot carry it), keeps
// it for the tab's session only and never in a URL, and forgets it on request. Screenshots at desktop and 390 px go
// to test-artifacts/api-token/.
import fs from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BROWSER_TEST_TIMEOUT_MS, startDashboardBrowser, type DashboardBrowser } from './support/dashboard-browser.js';
import { createTinyModel, registerTinyDataset, trainedRun } from './support/tiny-runs.js';

vi.setConfig({ testTimeout: BROWSER_TEST_TIMEOUT_MS, hookTimeout: BROWSER_TEST_TIMEOUT_MS });

const TOKEN = 'dashboard-test-token';
const REFUSED =
  'Mutations need a token: send the header `Authorization: Bearer <API_TOKEN>` (over WebSocket, in the connection ' +
  'params as `authorization`).';

let session: DashboardBrowser;
let runId = '';

beforeAll(async () => {
  session = await startDashboardBrowser('api-token', { API_TOKEN: TOKEN });
  // The set-up's own mutations carry the token (DashboardBrowser.graphql); the dashboard starts without one.
  await createTinyModel(session);
  await registerTinyDataset(session, { trainSize: 32, testSize: 16 });
  ({ id: runId } = await trainedRun(session, { name: 'with-token', epochs: 1 }));
});
afterAll(async () => {
  await session?.close();
}, 60_000);

async function createModelFromForm(page: Page, name: string): Promise<void> {
  await page.fill('input[name=name]', name);
  await page.fill('input[name=width]', '0.0625');
  await page.getByRole('button', { name: 'Create model' }).click();
}

const storedToken = (page: Page) => page.evaluate<string | null>("sessionStorage.getItem('resnet-lab.api-token')");

describe('the dashboard with API_TOKEN set', () => {
  it('browses without a token, sends the one it is given with mutations, and forgets it on request', async () => {
    const errorsBefore = session.consoleErrors.length;
    const page = await session.open('/models');
    // Browsing needs no token: the model made in the set-up is listed.
    await page.getByTestId('model-tiny').waitFor();
    const control = page.getByTestId('api-token');
    await expect(control.locator('summary').textContent()).resolves.toBe('API token needed');

    await createModelFromForm(page, 'from-dashboard');
    const refused = page.getByTestId('api-token-needed');
    await refused.waitFor();
    await expect(refused.textContent()).resolves.toBe(
      `${REFUSED} Give the dashboard the API token under API token needed at the top of the page.`,
    );
    await expect(page.getByTestId('model-from-dashboard').count()).resolves.toBe(0);

    await control.locator('summary').click();
    await page.fill('input[name=dashboardApiToken]', TOKEN);
    await session.screenshotBothWidths(page, 'token-form');
    await control.getByRole('button', { name: 'Use' }).click();
    await expect(control.locator('summary').textContent()).resolves.toBe('API token set');
    // Kept for this tab's session, never in the URL; the field is emptied.
    await expect(storedToken(page)).resolves.toBe(TOKEN);
    expect(page.url()).toBe(`${session.lab.dashboardUrl}/models`);
    await expect(page.inputValue('input[name=dashboardApiToken]')).resolves.toBe('');
    await control.locator('summary').click();

    await createModelFromForm(page, 'from-dashboard');
    await page.getByTestId('model-from-dashboard').waitFor();
    await expect(page.getByTestId('api-token-needed').count()).resolves.toBe(0);
    await session.screenshotBothWidths(page, 'token-set');

    // A new page of the same tab's session would keep it; forgetting empties it.
    await control.locator('summary').click();
    await control.getByRole('button', { name: 'Forget' }).click();
    await expect(control.locator('summary').textContent()).resolves.toBe('API token needed');
    await expect(storedToken(page)).resolves.toBeNull();

    // The one 401 is the mutation sent before the token was given.
    expect(session.consoleErrors.slice(errorsBefore)).toEqual([
      `${session.lab.dashboardUrl}/models: Failed to load resource: the server responded with a status of 401 (Unauthorized)`,
    ]);
  });

  it('downloads a run’s metrics with the token, and says when the tab has none instead of opening a refusal', async () => {
    const errorsBefore = session.consoleErrors.length;
    // A new page is a new tab: no token in its session.
    const page = await session.open(`/runs/${runId}`);
    const downloads = page.getByTestId('run-downloads');
    await downloads.waitFor();
    await expect(page.getByTestId('api-token').locator('summary').textContent()).resolves.toBe('API token needed');
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await downloads.getByRole('link', { name: 'Download CSV', exact: true }).click();
    await expect(downloads.getByRole('alert').textContent()).resolves.toBe(
      ' Downloads need the API token: give it under API token needed at the top of the page.',
    );
    // Nothing was asked of the API, and the page stayed where it was.
    expect(requests.filter((url) => url.includes('/metrics.csv'))).toEqual([]);
    expect(page.url()).toBe(`${session.lab.dashboardUrl}/runs/${runId}`);
    await session.screenshotBothWidths(page, 'download-without-token');

    const control = page.getByTestId('api-token');
    await control.locator('summary').click();
    await page.fill('input[name=dashboardApiToken]', TOKEN);
    await control.getByRole('button', { name: 'Use' }).click();
    await control.locator('summary').click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      downloads.getByRole('link', { name: 'Download CSV', exact: true }).click(),
    ]);
    expect(await download.failure()).toBeNull();
    expect(download.suggestedFilename()).toBe(`run-${runId}-metrics.csv`);
    const lines = (await fs.readFile(await download.path(), 'utf8')).replace(/\r\n$/, '').split('\r\n');
    expect(lines[0]).toBe(
      'epoch,trainLoss,trainAccuracy,testLoss,testAccuracy,learningRate,durationSeconds,imagesPerSecond',
    );
    expect(lines.map((line) => line.split(',')[0])).toEqual(['epoch', '1']);
    await expect(downloads.getByRole('alert').count()).resolves.toBe(0);
    expect(session.consoleErrors.slice(errorsBefore)).toEqual([]);
  });
});
