// Issue 13, item 11, in Chromium: every page fits a 390 px phone without scrolling sideways, follows the system's
// dark mode, has its own title, keeps links and buttons apart for keyboards and screen readers, and an address that
// is no page (or no run) gets the dashboard's own 404. Screenshots of every page, light and dark, at desktop and
// 390 px go to test-artifacts/layout/.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BROWSER_TEST_TIMEOUT_MS,
  PHONE,
  startDashboardBrowser,
  type DashboardBrowser,
} from './support/dashboard-browser.js';
import { createTinyModel, registerTinyDataset, startRun, waitForRun } from './support/tiny-runs.js';

vi.setConfig({ testTimeout: BROWSER_TEST_TIMEOUT_MS, hookTimeout: BROWSER_TEST_TIMEOUT_MS });

let session: DashboardBrowser;
let runId: string;
let secondRunId: string;
let checkpointId: string;

/** Light mode's and dark mode's page background, as the browser computes it. */
const LIGHT_BACKGROUND = 'rgb(249, 250, 251)';
const DARK_BACKGROUND = 'rgb(11, 17, 32)';

beforeAll(async () => {
  session = await startDashboardBrowser('layout');
  await createTinyModel(session);
  await registerTinyDataset(session);
  runId = await startRun(session, { name: 'layout run with a rather long name that must wrap on a phone', epochs: 2 });
  secondRunId = await startRun(session, { name: 'layout second', epochs: 1 });
  await waitForRun(session, runId);
  // The Evaluate page opens on the second run's last checkpoint.
  checkpointId = (await waitForRun(session, secondRunId)).latestCheckpoint!.id;
}, 600_000);
afterAll(async () => {
  await session?.close();
}, 60_000);

/** Every page, with the title it must have once loaded. */
function pages(): { name: string; path: string; title: string }[] {
  return [
    { name: 'runs', path: '/', title: 'Runs · ResNet Lab' },
    { name: 'new-run', path: '/runs/new', title: 'New run · ResNet Lab' },
    {
      name: 'run',
      path: `/runs/${runId}`,
      title: 'layout run with a rather long name that must wrap on a phone · ResNet Lab',
    },
    { name: 'compare', path: `/compare?ids=${runId},${secondRunId}`, title: 'Compare · ResNet Lab' },
    { name: 'models', path: '/models', title: 'Models · ResNet Lab' },
    { name: 'predict', path: '/predict', title: 'Predict · ResNet Lab' },
    { name: 'evaluate', path: `/evaluate?checkpoint=${checkpointId}`, title: 'Evaluate · ResNet Lab' },
    { name: 'workers', path: '/workers', title: 'Workers · ResNet Lab' },
    { name: 'datasets', path: '/datasets', title: 'Datasets · ResNet Lab' },
  ];
}

/** Waits until the page shows its heading and no loading state. */
async function loaded(page: Page): Promise<void> {
  await page.locator('main h1').first().waitFor();
  await page.waitForFunction(
    "![...document.querySelectorAll('main [role=status]')].some((state) => state.textContent.startsWith('Loading'))",
    null,
    { timeout: 60_000 },
  );
}

describe('the dashboard layout (issue 13, item 11)', () => {
  it('fits every page into 390 px, titles each, and follows dark mode', async () => {
    const titles: string[] = [];
    for (const { name, path, title } of pages()) {
      const page = await session.open(path, PHONE);
      await loaded(page);
      await expect.poll(() => page.title()).toBe(title);
      titles.push(await page.title());

      // Nothing scrolls the page sideways: wide tables scroll inside themselves.
      const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
      expect({ name, scrollWidth }).toEqual({ name, scrollWidth: PHONE.width });

      // A link is never wrapped around a button (two tab stops, two roles for one control).
      expect({ name, nested: await page.locator('a button, button a').count() }).toEqual({ name, nested: 0 });

      const background = () => page.evaluate<string>('getComputedStyle(document.documentElement).backgroundColor');
      await page.emulateMedia({ colorScheme: 'light' });
      expect(await background()).toBe(LIGHT_BACKGROUND);
      await session.screenshotBothWidths(page, name);
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await background()).toBe(DARK_BACKGROUND);
      await session.screenshotBothWidths(page, `${name}-dark`);
      await page.close();
    }
    expect(new Set(titles).size).toBe(titles.length);
    expect(session.consoleErrors).toEqual([]);
  }, 300_000);

  it("answers an unknown address and an unknown run with the dashboard's own 404", async () => {
    const page = await session.open('/no-such-page');
    await page.locator('[data-testid=not-found]').waitFor();
    expect(await page.locator('[data-testid=not-found]').textContent()).toBe(
      'Not foundThere is no page at this address.See all runs',
    );
    await expect.poll(() => page.title()).toBe('Not found · ResNet Lab');
    await session.screenshotBothWidths(page, 'not-found');

    await page.goto(new URL('/runs/00000000-0000-4000-8000-000000000000', session.lab.dashboardUrl).href);
    await page.locator('[data-testid=not-found]').waitFor();
    expect(await page.locator('[data-testid=not-found] p').first().textContent()).toBe(
      'There is no run with this id: it may have been deleted.',
    );
    await page.getByRole('link', { name: 'See all runs' }).click();
    await page.waitForURL(session.lab.dashboardUrl.replace(/\/?$/, '/'));
    await page.close();
  }, 120_000);

  it('lets a keyboard reach the navigation and the new-run link in order', async () => {
    const page = await session.open('/');
    await loaded(page);
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.textContent')).toBe('ResNet Lab');
    const links = await page.locator('header nav a').allTextContents();
    expect(links.slice(0, 4)).toEqual(['Runs', 'New run', 'Compare', 'Models']);
    const focused: string[] = [];
    while (focused.length < links.length) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate<string>("document.activeElement?.textContent ?? ''"));
    }
    expect(focused).toEqual(links);
    await expect(page.getByRole('link', { name: 'New run' }).count()).resolves.toBe(2);
    await page.close();
  }, 120_000);
});
