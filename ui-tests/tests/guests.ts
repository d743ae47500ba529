import { Browser, Page } from '@playwright/test';

/**
 * Open a share link as a guest would: in a fresh browser context that has
 * nothing but the link (none of the owner's headers or cookies).
 */
export async function openGuest(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ extraHTTPHeaders: {} });
  const guest = await context.newPage();
  await guest.goto(url);
  await guest.waitForSelector('#jupyterlab-splash', { state: 'detached' });
  await guest.waitForSelector('.jp-LabShell');
  return guest;
}

/**
 * A notebook (nbformat 4.5) with these code cells.
 */
export function notebookWith(cells: { id: string; source: string }[]) {
  return {
    cells: cells.map(({ id, source }) => ({
      cell_type: 'code',
      execution_count: null,
      id,
      metadata: {},
      outputs: [],
      source
    })),
    metadata: {
      kernelspec: {
        display_name: 'Python 3',
        language: 'python',
        name: 'python3'
      }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
}
