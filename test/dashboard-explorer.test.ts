// The API explorer (GraphiQL, bundled from npm) in Chromium: reached from the nav and by opening the API's URL, it
// runs queries and subscriptions against the lab's API, and with API_TOKEN set it sends the token the user gives it.
// Screenshots go to test-artifacts/explorer/.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BROWSER_TEST_TIMEOUT_MS, startDashboardBrowser, type DashboardBrowser } from './support/dashboard-browser.js';
import { createTinyModel, startRun } from './support/tiny-runs.js';

vi.setConfig({ testTimeout: BROWSER_TEST_TIMEOUT_MS, hookTimeout: BROWSER_TEST_TIMEOUT_MS });

const TOKEN = 'explorer-test-token';

/** The text of a Monaco editor of GraphiQL (`.graphiql-query-editor`, `.graphiql-response`), line by line. */
async function editorText(page: Page, editor: string): Promise<string> {
  // In the page, where the DOM's types are (this file is compiled without them).
  const lines = await page.evaluate<[number, string][]>(
    `[...document.querySelectorAll(${JSON.stringify(`${editor} .view-line`)})]` +
      '.map((line) => [parseFloat(line.style.top), line.textContent])',
  );
  // Monaco reuses line elements out of order and renders spaces as no-break spaces.
  return lines
    .sort(([a], [b]) => a - b)
    .map(([, text]) => text.replaceAll('\u00a0', ' '))
    .join('\n');
}

/** Rejects with `message` unless `promise` settles within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Replaces the operation in the query editor and runs it. GraphiQL reads the operation's name 100 ms after an edit;
 * the active tab, titled with that name, says when it has.
 */
async function run(page: Page, operation: string, name: string): Promise<void> {
  await page.locator('.graphiql-query-editor .monaco-editor').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(operation);
  expect(await editorText(page, '.graphiql-query-editor')).toBe(operation);
  await page
    .locator('.graphiql-tab-active .graphiql-tab-button')
    .filter({ hasText: new RegExp(`^${name}$`) })
    .waitFor();
  await page.locator('.graphiql-execute-button').click();
}

/**
 * Waits until the response pane shows `expected` (as GraphiQL prints it, JSON with its keys in the order the API sent
 * them); fails after 30 s with what the pane shows. Whitespace is ignored: Monaco wraps long lines where it likes.
 */
async function expectResponse(page: Page, expected: unknown): Promise<void> {
  const wanted = JSON.stringify(expected).replace(/\s+/g, '');
  const deadline = Date.now() + 30_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await editorText(page, '.graphiql-response');
    if (text.replace(/\s+/g, '') === wanted) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`Expected the response pane to show ${JSON.stringify(expected, null, 2)}\nbut it shows:\n${text}`);
}

/** The explorer page once GraphiQL has loaded the API's schema (its Docs know the Query type). */
async function openExplorer(lab: DashboardBrowser, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await lab.open('/', viewport);
  await page.getByRole('link', { name: 'API explorer' }).click();
  await page.waitForURL(/\/explorer$/);
  await page.locator('.graphiql-query-editor .monaco-editor').waitFor();
  return page;
}

describe('the API explorer, API_TOKEN unset', () => {
  let lab: DashboardBrowser;
  let version: string;
  beforeAll(async () => {
    lab = await startDashboardBrowser('explorer', { RUN_CONCURRENCY: '0' });
    ({
      system: { version },
    } = await lab.graphql<{ system: { version: string } }>('{ system { version } }'));
  }, 300_000);
  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('opens from the nav, runs a query and a subscription, and is where the API URL leads a browser', async () => {
    const page = await openExplorer(lab);
    await expect(page.title()).resolves.toBe('API explorer · ResNet Lab');
    await page.getByText('Its mutations are open: the API has no API_TOKEN.').waitFor();
    await expect(page.locator('input[name=apiToken]').count()).resolves.toBe(0);

    await run(page, 'query Version { system { version } }', 'Version');
    await expectResponse(page, { data: { system: { version } } });
    await lab.screenshotBothWidths(page, 'explorer');

    // A subscription goes over graphql-ws: the pane shows each event as it comes.
    const subscribed = new Promise<void>((resolve) =>
      page.on('websocket', (socket) =>
        socket.on('framesent', ({ payload }) => {
          if (String(payload).includes('"type":"subscribe"')) resolve();
        }),
      ),
    );
    await run(page, 'subscription RunUpdates { runUpdated { name status } }', 'RunUpdates');
    await within(subscribed, 30_000, 'Expected the explorer to subscribe over its WebSocket within 30 s.');
    // For the built-in synthetic dataset's 10 classes of 32x32 images; with RUN_CONCURRENCY 0 the run stays queued.
    await createTinyModel(lab, { classes: 10, inputSize: 32 });
    const runId = await startRun(lab, { datasetName: 'synthetic', name: 'explored', epochs: 1, batchSize: 128 });
    await lab.graphql('mutation ($id: ID!) { cancelRun(id: $id) { id } }', { id: runId });
    await expectResponse(page, { data: { runUpdated: { name: 'explored', status: 'CANCELLED' } } });
    await lab.screenshotBothWidths(page, 'explorer-subscription');

    // The Docs browse the schema the explorer loaded.
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await page.locator('.graphiql-doc-explorer').getByText('Root Types').waitFor();
    await lab.screenshotBothWidths(page, 'explorer-docs');

    // Opening the GraphQL URL in the browser lands on the explorer.
    const fromApi = await lab.browser.newPage();
    fromApi.on('console', (message) => {
      if (message.type() === 'error') lab.consoleErrors.push(`${fromApi.url()}: ${message.text()}`);
    });
    await fromApi.goto(lab.lab.apiUrl);
    expect(fromApi.url()).toBe(`${lab.lab.dashboardUrl}/explorer`);
    await fromApi.locator('.graphiql-query-editor .monaco-editor').waitFor();
    await fromApi.close();

    expect(lab.consoleErrors).toEqual([]);
  }, 240_000);
});

describe('the API explorer, API_TOKEN set', () => {
  let lab: DashboardBrowser;
  beforeAll(async () => {
    lab = await startDashboardBrowser('explorer-token', { API_TOKEN: TOKEN, RUN_CONCURRENCY: '0' });
  }, 300_000);
  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  it('queries without the token, and sends the token the user gives it with mutations', async () => {
    const page = await openExplorer(lab);
    await page
      .getByText('Its mutations need the API token (API_TOKEN); queries and subscriptions need none.')
      .waitFor();

    await run(page, 'query Token { system { mutationsRequireToken } }', 'Token');
    await expectResponse(page, { data: { system: { mutationsRequireToken: true } } });

    await run(
      page,
      'mutation CreateModel { createModel(input: { name: "explored", arch: "resnet18" }) { name } }',
      'CreateModel',
    );
    await expectResponse(page, {
      errors: [
        {
          message:
            'Mutations need a token: send the header `Authorization: Bearer <API_TOKEN>` (over WebSocket, in the ' +
            'connection params as `authorization`).',
          locations: [{ line: 1, column: 24 }],
          path: ['createModel'],
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ],
      data: null,
    });

    await page.fill('input[name=apiToken]', TOKEN);
    await page.locator('.graphiql-execute-button').click();
    await expectResponse(page, { data: { createModel: { name: 'explored' } } });
    // The token stays out of the URL, and is kept for the tab's session only.
    expect(page.url()).toBe(`${lab.lab.dashboardUrl}/explorer`);
    await expect(page.evaluate<string | null>("sessionStorage.getItem('resnet-lab.api-token')")).resolves.toBe(TOKEN);
    await lab.screenshotBothWidths(page, 'explorer-token');

    // The one 401 is the mutation sent before the token was given.
    expect(lab.consoleErrors).toEqual([
      `${lab.lab.dashboardUrl}/explorer: Failed to load resource: the server responded with a status of 401 (Unauthorized)`,
    ]);
  }, 240_000);
});
