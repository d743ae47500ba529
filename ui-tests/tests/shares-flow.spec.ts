import { expect, test } from '@jupyterlab/galata';
import { APIRequestContext, Page } from '@playwright/test';

import { makeLink, notebookWith, openGuest, screenshot } from './guests';

test.use({ autoGoto: false });

/**
 * Project shares as a newcomer meets them: a save refused in a read-only share
 * says so once, clearly; a deleted share leaves no folder, no tab and no
 * notice cut mid-word behind.
 */

const PROJECT = 'flow-project';
const SHARE = `${PROJECT}/flow-model`;
const NOTEBOOK = `${SHARE}/findings.ipynb`;

async function makeShare(request: APIRequestContext): Promise<void> {
  const made = await request.post('api/capella-share/shares', {
    data: { project: 'Flow project', model: 'Flow model' }
  });
  expect(made.status()).toBe(201);
  await request.put(`api/contents/${NOTEBOOK}`, {
    data: {
      type: 'notebook',
      format: 'json',
      content: notebookWith([{ id: 'c1', source: 'x = 1' }])
    }
  });
}

async function toasts(page: Page): Promise<string[]> {
  return page.locator('.Toastify__toast').allInnerTexts();
}

test.afterEach(async ({ request }) => {
  await request.delete('api/capella-share/links');
  await request.delete(`api/capella-share/shares/${SHARE}`, {
    data: { confirm: SHARE }
  });
});

test('Ctrl+S in a share just made read-only says so once, with no error dialog', async ({
  page,
  request
}) => {
  await makeShare(request);
  await page.goto();
  await page.notebook.openByPath(NOTEBOOK);
  await page.notebook.activate('findings.ipynb');
  // the share turns read-only (from another tab, the CLI, the platform)...
  const changed = await request.patch(`api/capella-share/shares/${SHARE}`, {
    data: { permission: 'read-only' }
  });
  expect(changed.status()).toBe(200);
  // ...and the owner saves at once, before the Lab has asked again
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+s');
  await expect(
    page.locator('.Toastify__toast', { hasText: 'read-only project share' })
  ).toBeVisible();
  await page.waitForTimeout(3000);
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
});

test('deleting a share closes its tabs and its project folder, and says so in full', async ({
  page,
  request,
  browser
}) => {
  await makeShare(request);
  const link = await makeLink(request, 'view', 'Readers');
  const guest = await openGuest(browser, link.url);
  await guest.evaluate(async path => {
    await (window as any).jupyterapp.commands.execute('docmanager:open', {
      path
    });
  }, NOTEBOOK);
  await expect(guest.locator('.jp-Notebook .jp-Cell').first()).toContainText(
    'x = 1'
  );
  // the guest has the project shares in view (read every 10 s, not every 60 s)
  await guest.locator('.lm-TabBar-tab[data-id="capella-share-shares"]').click();
  await expect(
    guest.locator(`#capella-share-shares [data-share="${SHARE}"]`)
  ).toBeVisible();

  await page.goto();
  await page.notebook.openByPath(NOTEBOOK);
  await expect(
    page.locator('#jp-main-dock-panel .lm-TabBar-tab', {
      hasText: 'findings.ipynb'
    })
  ).toHaveCount(1);
  await expect(
    page.locator('.jp-StatusBar-Item', { hasText: 'Python 3 (ipykernel)' })
  ).toContainText('Idle', { timeout: 30000 });
  await page.sidebar.openTab('capella-share-shares');
  const row = page.locator(`#capella-share-shares [data-share="${SHARE}"]`);
  await row.getByRole('button', { name: /^Delete/ }).click();
  const confirm = page.locator('.jp-Dialog');
  await confirm.getByRole('textbox').fill(SHARE);
  await screenshot(page, 'shares-delete.png', true);
  await confirm.getByRole('button', { name: 'Delete for good' }).click();
  await expect(row).toHaveCount(0);

  // The owner: its tab of the deleted notebook is closed, the notice whole.
  await expect(
    page.locator('#jp-main-dock-panel .lm-TabBar-tab', {
      hasText: 'findings.ipynb'
    })
  ).toHaveCount(0);
  const deleted = page.locator('.Toastify__toast', { hasText: 'Deleted' });
  await expect(deleted).toHaveText(`Deleted ${SHARE}: 1 file removed`);
  for (const text of await toasts(page)) {
    expect(text).not.toContain('…');
  }
  // The project's folder went with its only share: nobody sees it any more.
  expect((await request.get(`api/contents/${PROJECT}`)).status()).toBe(404);

  // The guest who had the notebook open is told, in full.
  const gone = guest.locator('.Toastify__toast', { hasText: 'is gone' });
  await expect(gone).toBeVisible({ timeout: 20000 });
  expect(await gone.innerText()).toBe(
    `The share ${SHARE} is gone: save "findings.ipynb" elsewhere (File > Save As) to keep it.`
  );
  await guest.context().close();
});
