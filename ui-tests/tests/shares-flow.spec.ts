import { expect, test } from '@jupyterlab/galata';
import { APIRequestContext } from '@playwright/test';

import { notebookWith } from './guests';

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
