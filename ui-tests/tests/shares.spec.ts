import { expect, test } from '@jupyterlab/galata';
import { Page } from '@playwright/test';

const SHARE = 'ui-project/galata-model';
const NOTEBOOK = `${SHARE}/analysis.ipynb`;

function panel(page: Page) {
  return page.locator('#capella-share-shares');
}

/** A step's screenshot, kept in this test's output folder. */
async function snapshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(name) });
}

async function openPanel(page: Page): Promise<void> {
  await page.sidebar.openTab('capella-share-shares');
  await expect(
    panel(page).getByRole('heading', { name: 'Project shares' })
  ).toBeVisible();
}

test.afterEach(async ({ page }, info) => {
  if (info.status !== info.expectedStatus) {
    await page.screenshot({ path: info.outputPath('failure.png') });
  }
});

test.afterAll(async ({ request }) => {
  // leave the server as we found it, whatever happened above
  await request.delete(`api/capella-share/shares/${SHARE}`, {
    data: { confirm: SHARE }
  });
});

test('a project share: create, open, save, make read-only, delete', async ({
  page
}) => {
  await openPanel(page);

  // New share: the dialog shows the folder it will make before confirming.
  await panel(page).getByRole('button', { name: 'New share' }).click();
  const dialog = page.locator('.jp-Dialog');
  const create = dialog.getByRole('button', { name: 'Create' });
  await expect(create).toBeDisabled();
  await dialog.getByRole('textbox', { name: 'Project' }).fill('UI Project');
  await dialog.getByRole('textbox', { name: 'Model' }).fill('Galata model');
  await expect(dialog.getByTestId('share-path')).toHaveText(SHARE);
  await snapshot(page, 'shares-1-new.png');
  await create.click();

  const row = panel(page).locator(`[data-share="${SHARE}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByText('RW', { exact: true })).toBeVisible();
  await expect(panel(page).getByText('UI Project')).toBeVisible();

  // A click opens the folder in the file browser.
  await row.getByRole('button', { name: 'Galata model' }).click();
  await expect(page.locator('.jp-BreadCrumbs')).toContainText('galata-model');

  // Save a notebook there.
  await page.notebook.createNew('analysis.ipynb');
  await page.notebook.setCell(0, 'markdown', '# Written in a read-write share');
  await page.notebook.save();
  expect(await page.contents.fileExists(NOTEBOOK)).toBe(true);
  await page.notebook.close(true);

  // Read-only: the badge says so, and the notebook opens read-only.
  await openPanel(page);
  await row.getByRole('button', { name: 'Make read-only' }).click();
  await expect(row.getByText('RO', { exact: true })).toBeVisible();
  await snapshot(page, 'shares-2-panel.png');
  await page.evaluate(async path => {
    await window.jupyterapp.commands.execute('docmanager:open', { path });
  }, NOTEBOOK);
  const notebookPanel = page.locator('.jp-NotebookPanel:visible');
  await expect(notebookPanel.getByText('notebook is read-only')).toBeVisible();
  await snapshot(page, 'shares-3-readonly.png');
  const refused = await page.request.put(`api/contents/${NOTEBOOK}`, {
    data: { type: 'file', format: 'text', content: 'overwritten' }
  });
  expect(refused.status()).toBe(403);
  await page.notebook.close(true);

  // Delete: irrevocable, offered the zip first, only once the name is typed.
  await openPanel(page);
  await row.getByRole('button', { name: /^Delete/ }).click();
  const confirm = page.locator('.jp-Dialog');
  await expect(confirm.getByText('irrevocable')).toBeVisible();
  await expect(
    confirm.getByRole('button', { name: 'Download as zip' })
  ).toBeVisible();
  const deleteButton = confirm.getByRole('button', { name: 'Delete for good' });
  await expect(deleteButton).toBeDisabled();
  const typed = confirm.getByRole('textbox');
  await typed.fill('ui-project/other');
  await expect(deleteButton).toBeDisabled();
  await typed.fill(SHARE);
  await expect(deleteButton).toBeEnabled();
  await snapshot(page, 'shares-4-delete.png');
  await deleteButton.click();

  await expect(row).toHaveCount(0);
  expect(await page.contents.fileExists(NOTEBOOK)).toBe(false);
  await snapshot(page, 'shares-5-after.png');
});
