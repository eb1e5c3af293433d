// What every console end-to-end test sets up the same way: Chromium (the system's, headless), one
// page, the screenshot folders, and moving between the console's areas as a person does.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where screenshots go: `results` always (test-results/), `docs` the README's pictures when
 * UPDATE_CONSOLE_SCREENSHOTS=1 (test-results/ otherwise). Both exist once this returns.
 */
export function screenshotDirs(): { docs: string; results: string } {
  const results = join(REPO_ROOT, 'test-results');
  const docs = process.env.UPDATE_CONSOLE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs') : results;
  mkdirSync(docs, { recursive: true });
  mkdirSync(results, { recursive: true });
  return { docs, results };
}

/** Chromium with one light-scheme page of the given size; calls wait at most 10 s. */
export async function openBrowser(viewport: { width: number; height: number }): Promise<{ browser: Browser; page: Page }> {
  // Root (CI containers) cannot use Chromium's sandbox.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  const page = await browser.newPage({ viewport, colorScheme: 'light' });
  page.setDefaultTimeout(10_000);
  return { browser, page };
}

/** Opens an area from the left rail and waits for its heading. */
export async function gotoArea(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Areas' }).getByRole('link', { name: new RegExp(`^${name.replace(/[&]/g, '\\$&')}`) }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}
