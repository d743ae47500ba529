import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext, Page } from '@playwright/test';

import { notebookWith, openGuest, screenshot } from './guests';

test.use({ autoGoto: false });

/**
 * Links that share one folder or one file: the owner chooses the scope in the
 * Share dialog or from the file browser's context menu, and the guest's Lab
 * shows that folder or file and, above it, only the way down.
 */

const ROOT = 'scoped';

async function put(request: APIRequestContext, path: string, body: object) {
  const response = await request.put(`api/contents/${path}`, { data: body });
  expect(response.status(), `PUT ${path}`).toBeLessThan(300);
}

async function makeTree(request: APIRequestContext) {
  await request.delete(`api/contents/${ROOT}/project/analysis.ipynb`);
  for (const folder of [ROOT, `${ROOT}/project`, `${ROOT}/secret`]) {
    await put(request, folder, { type: 'directory' });
  }
  await put(request, `${ROOT}/project/analysis.ipynb`, {
    type: 'notebook',
    content: notebookWith([{ id: 'c1', source: 'print("shared")' }])
  });
  await put(request, `${ROOT}/project/data.csv`, {
    type: 'file',
    format: 'text',
    content: 'a,b\n1,2\n'
  });
  await put(request, `${ROOT}/secret/keys.txt`, {
    type: 'file',
    format: 'text',
    content: 'not for guests'
  });
}

async function scopedLink(
  request: APIRequestContext,
  scope: string
): Promise<string> {
  const response = await request.post('api/capella-share/links', {
    data: { permission: 'view', expires_in: 3600, label: 'Reviewers', scope }
  });
  expect(response.status()).toBe(201);
  return (await response.json()).url;
}

/** The names the guest's file browser lists. */
async function listed(page: Page): Promise<string[]> {
  const items = page.locator('.jp-DirListing-content .jp-DirListing-itemText');
  await expect(items.first()).toBeVisible();
  return (await items.allTextContents()).map(name => name.trim());
}

async function browseTo(page: Page, path: string) {
  await page.evaluate(async (where: string) => {
    await (window as any).jupyterapp.commands.execute(
      'filebrowser:go-to-path',
      {
        path: where,
        dontShowBrowser: false
      }
    );
  }, path);
}

test.describe('a guest of one folder or file', () => {
  test.beforeEach(async ({ request }) => {
    await request.delete('api/capella-share/links');
    await makeTree(request);
  });

  test.afterAll(async ({ request }) => {
    await request.delete('api/capella-share/links');
  });

  test('a folder scope: the guest lands in it and sees only the way down to it', async ({
    browser,
    request
  }) => {
    const guest = await openGuest(
      browser,
      await scopedLink(request, `${ROOT}/project`)
    );
    await expect
      .poll(() => listed(guest))
      .toEqual(['analysis.ipynb', 'data.csv']);
    await expect(guest.locator('.jp-CapellaShare-guestScope')).toHaveText(
      `only ${ROOT}/project`
    );
    await screenshot(guest, 'scope-folder-guest.png', true);

    // above the scope: only the way down, nothing beside it
    await browseTo(guest, ROOT);
    await expect.poll(() => listed(guest)).toEqual(['project']);
    await browseTo(guest, '');
    await expect.poll(() => listed(guest)).toEqual([ROOT]);
    await guest.context().close();
  });

  test('a file scope: the guest sees the notebook and nothing of its folder', async ({
    browser,
    request
  }) => {
    const guest = await openGuest(
      browser,
      await scopedLink(request, `${ROOT}/project/analysis.ipynb`)
    );
    // the link opens the notebook itself
    await expect(
      guest.locator('.jp-NotebookPanel .jp-Cell').first()
    ).toContainText('print("shared")');
    await browseTo(guest, `${ROOT}/project`);
    await expect.poll(() => listed(guest)).toEqual(['analysis.ipynb']);
    await screenshot(guest, 'scope-file-guest.png', true);
    await guest.context().close();
  });
});

async function openDialog(page: IJupyterLabPageFixture) {
  await page
    .locator('#jp-top-bar')
    .getByRole('button', { name: 'Share' })
    .click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.getByText('Share this session')).toBeVisible();
  return dialog;
}

test.describe('the owner chooses what a link shares', () => {
  test.beforeEach(async ({ page, request }) => {
    await request.delete('api/capella-share/links');
    await makeTree(request);
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write']);
  });

  test.afterAll(async ({ request }) => {
    await request.delete('api/capella-share/links');
  });

  test('the Share dialog offers the notebook in front, its folder and the whole session', async ({
    page,
    request
  }) => {
    await page.goto();
    await browseTo(page, `${ROOT}/project`);
    await page.evaluate(async (path: string) => {
      await (window as any).jupyterapp.commands.execute('docmanager:open', {
        path
      });
    }, `${ROOT}/project/analysis.ipynb`);
    await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
    const dialog = await openDialog(page);
    await dialog
      .getByRole('checkbox', { name: 'Include the token in the URL' })
      .check();
    const shares = dialog.getByLabel('Shares', { exact: true });
    await expect(shares.locator('option')).toHaveText([
      'Whole session',
      `This notebook: ${ROOT}/project/analysis.ipynb`,
      `This folder: ${ROOT}/project/`
    ]);
    await expect(shares).toHaveValue('');
    await shares.selectOption(`${ROOT}/project/analysis.ipynb`);
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await expect(dialog.locator('tbody tr')).toHaveCount(1, { timeout: 10000 });
    await expect(dialog.locator('.jp-CapellaShare-warning')).toContainText(
      `the files of ${ROOT}/project/analysis.ipynb (and nothing else`
    );
    await expect(dialog.locator('.jp-CapellaShare-scope')).toHaveText(
      `only ${ROOT}/project/analysis.ipynb`
    );
    await screenshot(page, 'share-dialog-scope.png', true);
    const links = (await (await request.get('api/capella-share/links')).json())
      .links;
    expect(links.map((link: { scope: string }) => link.scope)).toEqual([
      `${ROOT}/project/analysis.ipynb`
    ]);
  });

  test('Share… in the file browser shares that folder, by keyboard too', async ({
    page,
    request
  }) => {
    await page.goto();
    await browseTo(page, ROOT);
    const item = page.locator('.jp-DirListing-item', { hasText: 'project' });
    await item.click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Share…' }).click();
    const dialog = page.locator('.jp-Dialog');
    const shares = dialog.getByLabel('Shares', { exact: true });
    await expect(shares).toHaveValue(`${ROOT}/project`);
    await expect(shares.locator('option:checked')).toHaveText(
      `This folder: ${ROOT}/project/`
    );
    await screenshot(page, 'share-context-menu-scope.png', true);
    // Copy has the focus: Enter makes the link
    await page.keyboard.press('Enter');
    await expect(dialog.locator('tbody tr')).toHaveCount(1, { timeout: 10000 });
    const links = (await (await request.get('api/capella-share/links')).json())
      .links;
    expect(links[0].scope).toBe(`${ROOT}/project`);
  });
});
