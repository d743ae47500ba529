import { APIRequestContext, Browser, Page } from '@playwright/test';

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

/**
 * Make a link through the REST API, as the owner (whose token the test's
 * request context carries).
 */
export async function makeLink(
  request: APIRequestContext,
  permission: 'view' | 'edit' | 'full',
  label: string
): Promise<{ id: string; url: string }> {
  const response = await request.post('api/capella-share/links', {
    data: { permission, expires_in: 3600, label }
  });
  if (response.status() !== 201) {
    throw new Error(
      `POST links: ${response.status()} ${await response.text()}`
    );
  }
  return response.json();
}

/**
 * Save a screenshot among the test's results; one that the documentation shows
 * (`docs`) goes to docs/images/ instead when CAPELLA_DOCS_IMAGES=1.
 */
export async function screenshot(
  page: Page,
  name: string,
  docs = false
): Promise<void> {
  const folder =
    docs && process.env.CAPELLA_DOCS_IMAGES
      ? '../docs/images'
      : 'test-results/screenshots';
  await page.screenshot({ path: `${folder}/${name}` });
}
