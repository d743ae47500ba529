import { expect, test } from '@jupyterlab/galata';
import { APIRequestContext, Page } from '@playwright/test';

import { makeLink, openGuest, screenshot } from './guests';

test.use({ autoGoto: false });

/**
 * What an edit guest's output would run in the owner's browser: it marks the
 * page, then uses the owner's token from the page to make itself a full link.
 */
const SCRIPT =
  '<img src="x" onerror="window.capellaTaken = 1; ' +
  "fetch('api/capella-share/links', {method: 'POST', headers: {Authorization: " +
  "'token ' + JSON.parse(document.getElementById('jupyter-config-data').textContent).token}, " +
  "body: JSON.stringify({permission: 'full', label: 'taken'})})\">";

const HTML_OUTPUT = {
  output_type: 'display_data',
  data: { 'text/html': SCRIPT, 'text/plain': 'an output' },
  metadata: {}
};

function notebook(trusted: boolean, outputs: any[]) {
  return {
    cells: [
      {
        cell_type: 'code',
        execution_count: 1,
        id: 'c1',
        metadata: { trusted },
        outputs,
        source: '1 + 1'
      }
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5
  };
}

async function putNotebook(
  request: APIRequestContext,
  path: string,
  content: any,
  token?: string
): Promise<number> {
  const response = await request.put(`api/contents/${path}`, {
    data: { type: 'notebook', format: 'json', content },
    headers: token ? { Authorization: `token ${token}` } : undefined
  });
  return response.status();
}

async function openNotebook(page: Page, path: string): Promise<void> {
  await page.evaluate(async path => {
    await (window as any).jupyterapp.commands.execute('docmanager:open', {
      path
    });
  }, path);
  await expect(
    page.locator('.jp-NotebookPanel .jp-Cell').first()
  ).toBeVisible();
}

async function taken(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as any).capellaTaken === 1);
}

async function linksTaken(request: APIRequestContext): Promise<number> {
  const links = await (await request.get('api/capella-share/links')).json();
  return links.links.filter((link: any) => link.label === 'taken').length;
}

function tokenOf(url: string): string {
  return new URL(url).searchParams.get('token') as string;
}

test("a notebook an edit guest saves with trusted outputs runs nothing in the owner's Lab", async ({
  page
}) => {
  const link = await makeLink(page.request, 'edit', 'Guest writer');
  const token = tokenOf(link.url);
  expect(
    await putNotebook(
      page.request,
      'trust-saved.ipynb',
      notebook(true, [HTML_OUTPUT]),
      token
    )
  ).toBe(201);
  await page.goto();
  await openNotebook(page, 'trust-saved.ipynb');
  await expect(page.locator('.jp-OutputArea-output').first()).toBeVisible();
  await page.waitForTimeout(1000);
  expect(await taken(page)).toBe(false);
  expect(await linksTaken(page.request)).toBe(0);
  // the owner is told why, and how to trust it after reading it
  const notice = page.locator('.Toastify__toast').filter({
    hasText: 'wrote in trust-saved.ipynb are untrusted'
  });
  await expect(notice).toContainText('"Guest writer"');
  await expect(
    notice.getByRole('button', { name: 'Trust Notebook' })
  ).toBeVisible();
  await page
    .getByRole('dialog')
    .getByRole('button', { name: 'No Kernel' })
    .click();
  await screenshot(page, 'trust-saved-by-guest.png', true);
});

test('a guest may not trust a notebook for the owner', async ({ page }) => {
  const link = await makeLink(page.request, 'edit', 'Guest truster');
  const token = tokenOf(link.url);
  expect(
    await putNotebook(
      page.request,
      'trust-asked.ipynb',
      notebook(false, [HTML_OUTPUT]),
      token
    )
  ).toBe(201);
  const trust = await page.request.post(
    'api/contents/trust-asked.ipynb/trust',
    {
      headers: { Authorization: `token ${token}` }
    }
  );
  expect(trust.status()).toBe(403);
  await page.goto();
  await openNotebook(page, 'trust-asked.ipynb');
  await expect(page.locator('.jp-OutputArea-output').first()).toBeVisible();
  await page.waitForTimeout(1000);
  expect(await taken(page)).toBe(false);
  expect(await linksTaken(page.request)).toBe(0);
});

test("a trusted cell an edit guest inserts live is untrusted in the owner's Lab", async ({
  page,
  browser
}) => {
  expect(
    await putNotebook(page.request, 'trust-live.ipynb', notebook(true, []))
  ).toBe(201);
  const link = await makeLink(page.request, 'edit', 'Live guest');
  await page.goto();
  await openNotebook(page, 'trust-live.ipynb');
  const guest = await openGuest(browser, link.url);
  await openNotebook(guest, 'trust-live.ipynb');

  // the guest's browser is the guest's: it writes into its copy of the shared
  // document whatever it likes, past its Lab's own rules
  await guest.evaluate(output => {
    const panel = (window as any).jupyterapp.shell.currentWidget;
    panel.content.model.sharedModel.insertCell(1, {
      cell_type: 'code',
      source: 'planted',
      metadata: { trusted: true },
      outputs: [output]
    });
  }, HTML_OUTPUT);

  await expect(page.locator('.jp-NotebookPanel .jp-Cell')).toHaveCount(2);
  await expect(page.locator('.jp-Cell').nth(1)).toContainText('planted');
  await page.waitForTimeout(1000);
  expect(await taken(page)).toBe(false);
  expect(await linksTaken(page.request)).toBe(0);
  await screenshot(page, 'trust-inserted-live.png');
  await guest.context().close();
});

test("an edit guest's change to a trusted output is untrusted in the owner's Lab", async ({
  page,
  browser
}) => {
  // the owner's own notebook, saved trusted (signed), with the owner's output
  const own = notebook(true, [
    { output_type: 'stream', name: 'stdout', text: "owner's output\n" }
  ]);
  expect(await putNotebook(page.request, 'trust-edited.ipynb', own)).toBe(201);
  const link = await makeLink(page.request, 'edit', 'Output editor');
  await page.goto();
  await openNotebook(page, 'trust-edited.ipynb');
  await expect(page.locator('.jp-OutputArea-output').first()).toContainText(
    "owner's output"
  );
  const guest = await openGuest(browser, link.url);
  await openNotebook(guest, 'trust-edited.ipynb');

  await guest.evaluate(output => {
    const panel = (window as any).jupyterapp.shell.currentWidget;
    const cell = panel.content.model.sharedModel.getCell(0);
    cell.updateOutputs(1, 1, [output]);
  }, HTML_OUTPUT);

  await expect(page.locator('.jp-OutputArea-output')).toHaveCount(2);
  await expect(page.locator('.jp-OutputArea-output').first()).toContainText(
    "owner's output"
  );
  await page.waitForTimeout(1000);
  expect(await taken(page)).toBe(false);
  expect(await linksTaken(page.request)).toBe(0);
  await expect(
    page.locator('.Toastify__toast').filter({
      hasText: 'wrote in trust-edited.ipynb are untrusted'
    })
  ).toContainText('"Output editor"');
  await screenshot(page, 'trust-edited-live.png');
  await guest.context().close();
});
