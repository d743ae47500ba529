import { expect, test } from '@jupyterlab/galata';
import { Locator, Page } from '@playwright/test';

import { makeLink, notebookWith, screenshot } from './guests';

test.use({ autoGoto: false });

const FOLDER = 'notebook7-ui';
const NOTEBOOK = `${FOLDER}/findings.ipynb`;
const SCRIPT = `${FOLDER}/model.py`;
/** File menu entries that write or end something ("Save and Export As" reads). */
const CHANGING = /^(Save\s*$|Save\s+As|Save All|Rename|Duplicate|Shut Down)/;

/** Open a page of Notebook 7 as the holder of a share link. */
async function openNotebook7(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator('#main-panel').waitFor();
  await expect(page.locator('.jp-CapellaShare-guestBadge')).toBeVisible();
}

/** The labels of the menu bar's open menu that can be seen. */
async function openMenu(page: Page, name: string): Promise<Locator> {
  await page
    .locator('#menu-panel')
    .getByRole('menuitem', { name, exact: true })
    .click();
  const menu = page.locator('.lm-Menu').last();
  await expect(menu).toBeVisible();
  return menu;
}

async function labels(menu: Locator): Promise<string[]> {
  return menu
    .locator('.lm-Menu-item:visible .lm-Menu-itemLabel')
    .allTextContents();
}

test.beforeAll(async ({ request }) => {
  await request.put(`api/contents/${FOLDER}`, { data: { type: 'directory' } });
  await request.put(`api/contents/${NOTEBOOK}`, {
    data: {
      type: 'notebook',
      format: 'json',
      content: notebookWith([{ id: 'c1', source: 'print("from the owner")' }])
    }
  });
  await request.put(`api/contents/${SCRIPT}`, {
    data: { type: 'file', format: 'text', content: 'RATE = 42\n' }
  });
});

test.afterAll(async ({ request }) => {
  await request.delete('api/capella-share/links');
  for (const path of [NOTEBOOK, SCRIPT, FOLDER]) {
    await request.delete(`api/contents/${path}`);
  }
});

test('a view guest in Notebook 7 reads, changes nothing, runs nothing', async ({
  browser,
  request
}) => {
  const link = await makeLink(request, 'view', 'Notebook readers');
  const context = await browser.newContext({ extraHTTPHeaders: {} });
  const guest = await context.newPage();
  const base = link.url.split('/lab?')[0];

  // The tree: no New menu, no upload, nothing to change on a selected file.
  await openNotebook7(guest, link.url.replace('/lab?', '/tree?'));
  const badge = guest.locator('.jp-CapellaShare-guestBadge');
  await expect(badge).toContainText('View only');
  await expect(badge).toContainText('Notebook readers');
  // Every plugin of ours runs in Notebook 7 (none needs the Lab's shell).
  const activated = await guest.evaluate(() => {
    const app = (window as any).jupyterapp;
    return ['session', 'share', 'guest', 'shares', 'access', 'refusals'].filter(
      id => !app.isPluginActivated(`capella-share:${id}`)
    );
  });
  expect(activated).toEqual([]);
  const config = await guest
    .locator('#jupyter-config-data')
    .textContent({ timeout: 1000 });
  expect(config).not.toContain('capella-ui-owner-token');
  const browserPanel = guest.locator('#main-panel .jp-FileBrowser');
  await browserPanel.getByText(FOLDER, { exact: true }).click();
  const file = browserPanel.locator('.jp-DirListing-item', {
    hasText: 'findings.ipynb'
  });
  await expect(file).toBeVisible();
  await expect(browserPanel.getByRole('menuitem', { name: 'New' })).toHaveCount(
    0
  );
  await expect(
    browserPanel.getByRole('button', { name: /Upload/ })
  ).toHaveCount(0);
  await file.locator('input[type="checkbox"]').check();
  const toolbar = browserPanel.getByRole('toolbar').first();
  await expect(toolbar.getByRole('button', { name: 'Open' })).toBeVisible();
  for (const name of ['Rename', 'Duplicate', 'Delete']) {
    await expect(toolbar.getByRole('button', { name })).toHaveCount(0);
  }
  const fileMenu = await openMenu(guest, 'File');
  const found = await labels(fileMenu);
  expect(found).not.toContain('New');
  expect(found.filter(label => CHANGING.test(label))).toEqual([]);
  await guest.keyboard.press('Escape');
  await screenshot(guest, 'notebook7-guest-tree.png');

  // The notebook: read-only, no kernel, no Run or Kernel menu.
  await openNotebook7(guest, `${base}/notebooks/${NOTEBOOK}`);
  const cell = guest.locator('.jp-NotebookPanel .jp-Cell').first();
  await expect(cell).toContainText('from the owner');
  await expect(guest.locator('.jp-CapellaShare-readOnly')).toBeVisible();
  await expect(guest.getByText('No Kernel')).toBeVisible();
  await screenshot(guest, 'notebook7-guest.png', true);
  await cell.locator('.cm-content').click();
  await guest.keyboard.type('guest typing');
  await expect(cell).not.toContainText('guest typing');
  await guest.keyboard.press('Escape');
  await guest.keyboard.press('Shift+Enter');
  await expect(guest.locator('.jp-OutputArea-output')).toHaveCount(0);
  for (const name of ['Run', 'Kernel']) {
    await expect(
      guest.locator('#menu-panel').getByRole('menuitem', { name, exact: true })
    ).toHaveCount(0);
  }
  const notebookMenu = await openMenu(guest, 'File');
  const offered = await labels(notebookMenu);
  expect(offered).toContain('Download');
  expect(offered.filter(label => CHANGING.test(label))).toEqual([]);
  await guest.keyboard.press('Escape');
  // Its title renames the notebook when clicked: here it only says why not.
  await guest.locator('#jp-title').click();
  await expect(
    guest.getByText(
      'This is a view-only link: you cannot rename or move files.'
    )
  ).toBeVisible();
  await expect(guest.locator('.jp-Dialog')).toHaveCount(0);
  const kernels = await request.get('api/kernels');
  expect(await kernels.json()).toEqual([]);

  // The editor: read-only too.
  await openNotebook7(guest, `${base}/edit/${SCRIPT}`);
  const editor = guest.locator('.jp-FileEditor .cm-content');
  await expect(editor).toContainText('RATE = 42');
  await editor.click();
  await guest.keyboard.type('# guest typing');
  await expect(editor).not.toContainText('guest typing');
  const saved = await request.get(`api/contents/${SCRIPT}?content=1`);
  expect((await saved.json()).content).toBe('RATE = 42\n');

  // The owner revokes the link: the guest is told at once.
  const revoked = await request.delete(`api/capella-share/links/${link.id}`);
  expect(revoked.status()).toBe(204);
  const ended = guest.locator('.jp-Dialog');
  await expect(ended.locator('.jp-Dialog-header')).toHaveText(
    'Your access to this session has ended',
    { timeout: 5000 }
  );
  await context.close();
});

test('an edit guest in Notebook 7 has no terminal in the New menu', async ({
  browser,
  request
}) => {
  const link = await makeLink(request, 'edit', 'Notebook editors');
  const context = await browser.newContext({ extraHTTPHeaders: {} });
  const guest = await context.newPage();
  await openNotebook7(guest, link.url.replace('/lab?', '/tree?'));
  const newMenu = guest
    .locator('#main-panel .jp-FileBrowser')
    .getByRole('menuitem', { name: 'New' });
  await newMenu.click();
  const menu = guest.locator('.lm-Menu').last();
  const found = await labels(menu);
  // a notebook per kernel, a console, a file, a folder: no terminal
  expect(found).toEqual(
    expect.arrayContaining(['Python 3 (ipykernel)', 'Console', 'New File'])
  );
  expect(found).not.toContain('Terminal');
  await context.close();
});

test('the owner shares a notebook from Notebook 7: the link opens it there', async ({
  browser,
  page
}) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  const owner = await page.context().newPage();
  await owner.goto(`notebooks/${NOTEBOOK}`);
  await owner.locator('#main-panel').waitFor();
  await owner.getByRole('button', { name: 'Share', exact: true }).click();
  const dialog = owner.locator('.jp-Dialog');
  const url = dialog.getByRole('textbox', { name: 'Session URL' });
  // the plain URL is this page's, as is the link's
  await expect(url).toHaveValue(new RegExp(`/notebooks/${NOTEBOOK}$`));
  await dialog
    .getByRole('checkbox', { name: 'Include the token in the URL' })
    .check();
  await dialog.getByRole('button', { name: 'Copy' }).click();
  await expect(url).toHaveValue(
    new RegExp(`/notebooks/${NOTEBOOK}\\?token=csl_`)
  );
  const link = await url.inputValue();
  await owner.close();

  const context = await browser.newContext({ extraHTTPHeaders: {} });
  const guest = await context.newPage();
  await openNotebook7(guest, link);
  await expect(
    guest.locator('.jp-NotebookPanel .jp-Cell').first()
  ).toContainText('from the owner');
  expect(new URL(guest.url()).pathname).toMatch(
    new RegExp(`/notebooks/${NOTEBOOK}$`)
  );
  await context.close();
});
