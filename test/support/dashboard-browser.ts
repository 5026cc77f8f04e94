// One lab (`npm start` on an embedded data directory) and one Chromium for a browser test file: pages that collect
// their console errors, the API's GraphQL over HTTP, and screenshots at desktop and phone width under
// test-artifacts/<folder>/.
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeEmbeddedDataDir } from '@resnet-lab/api/test-support';
import { freePort } from './free-port.js';
import { startLab, type LabProcess } from './lab-process.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
/** The widths every page is photographed at: a laptop and a phone (390x844, an iPhone 12 to 15). */
export const DESKTOP = { width: 1280, height: 900 } as const;
export const PHONE = { width: 390, height: 844 } as const;
/**
 * Per test and hook of a browser test file (`vi.setConfig`): a test walks through many pages, each waiting on the lab,
 * and with the whole suite running beside it on two cores one such test takes minutes, not the default minute.
 */
export const BROWSER_TEST_TIMEOUT_MS = 300_000;

export interface DashboardBrowser {
  readonly lab: LabProcess;
  readonly browser: Browser;
  /** Console errors of every page this session opened, as `<url>: <text>`. */
  readonly consoleErrors: string[];
  /** A page at `viewport` whose console errors are collected; `pathname` is relative to the dashboard. */
  open(pathname: string, viewport?: { width: number; height: number }): Promise<Page>;
  /** Runs a GraphQL operation against the lab's API (with the lab's API_TOKEN, if it has one); throws on errors. */
  graphql<Data>(query: string, variables?: Record<string, unknown>): Promise<Data>;
  /** Screenshots the page's URL at desktop width (`<name>.png`) and at 390 px (`<name>-390.png`), full page. */
  screenshotBothWidths(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts the lab and Chromium; `artifactFolder` is the folder under test-artifacts/ that gets the screenshots. */
export async function startDashboardBrowser(
  artifactFolder: string,
  env: Record<string, string> = {},
): Promise<DashboardBrowser> {
  const artifacts = path.join(root, 'test-artifacts', artifactFolder);
  await fs.mkdir(artifacts, { recursive: true });
  const dataDir = await makeEmbeddedDataDir(`resnet-lab-${artifactFolder}-`);
  const lab = await startLab({ DATA_DIR: dataDir, PORT: '0', DASHBOARD_PORT: String(await freePort()), ...env });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const consoleErrors: string[] = [];

  async function open(pathname: string, viewport: { width: number; height: number } = DESKTOP): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
    await page.goto(new URL(pathname, lab.dashboardUrl).href);
    return page;
  }

  return {
    lab,
    browser,
    consoleErrors,
    open,
    async graphql<Data>(query: string, variables: Record<string, unknown> = {}): Promise<Data> {
      const response = await fetch(lab.apiUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          // With API_TOKEN set, the test's own set-up mutations carry it; the pages under test must be given it.
          ...(env.API_TOKEN ? { authorization: `Bearer ${env.API_TOKEN}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data: Data; errors?: unknown };
      if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    async screenshotBothWidths(page: Page, name: string): Promise<void> {
      const viewport = page.viewportSize() ?? DESKTOP;
      await page.setViewportSize(DESKTOP);
      await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
      await page.setViewportSize(PHONE);
      await page.screenshot({ path: path.join(artifacts, `${name}-390.png`), fullPage: true });
      await page.setViewportSize(viewport);
    },
    async close(): Promise<void> {
      await browser.close();
      await lab.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
