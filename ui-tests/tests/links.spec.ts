import { expect, test } from '@jupyterlab/galata';

import { notebookWith, openGuest, screenshot } from './guests';

test.use({ autoGoto: false });

const NOTEBOOK = 'shared.ipynb';
const NOTEBOOK_CONTENT = notebookWith([
  { id: 'c1', source: 'print("written by the owner")' }
]);

test('a view link: the guest reads but cannot edit or run, and is shown out on revoke', async ({
  page,
  browser
}) => {
  await page.contents.uploadContent(
    JSON.stringify(NOTEBOOK_CONTENT),
    'text',
    NOTEBOOK
  );
  await page.goto();

  // Owner: open the Share dialog and make a view link.
  await page
    .locator('#jp-top-bar')
    .getByRole('button', { name: 'Share' })
    .click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.getByText('Share this session')).toBeVisible();
  await expect(dialog.getByRole('checkbox')).not.toBeChecked();
  await expect(dialog.locator('.jp-CapellaShare-warning')).toContainText(
    'no access of its own'
  );
  // Ticking the box offers the choices; Copy makes the link with them.
  await dialog.getByRole('checkbox').check();
  const urlField = dialog.getByLabel('Session URL');
  await expect(urlField).toHaveValue('');
  await dialog.getByLabel('Expires after').selectOption('3600');
  await dialog.getByLabel('Label', { exact: true }).fill('Review team');
  await dialog.getByRole('button', { name: 'Copy' }).click();
  await expect(urlField).toHaveValue(/\?token=csl_/);
  await expect(dialog.locator('tr', { hasText: 'Review team' })).toHaveCount(1);
  await expect(dialog.locator('tbody tr')).toHaveCount(1);
  await expect(dialog.getByText('Making the link')).toHaveCount(0);
  await expect(dialog.locator('.jp-CapellaShare-warning')).toContainText(
    'read and download every file'
  );
  await expect(dialog.locator('tr', { hasText: 'Review team' })).toContainText(
    'View only'
  );
  await screenshot(page, 'share-dialog.png', true);
  const url = await urlField.inputValue();
  expect(url).toContain('/lab?token=csl_');

  // Guest: open the link.
  const guest = await openGuest(browser, url);
  const badge = guest.locator('.jp-CapellaShare-guestBadge');
  await expect(badge).toContainText('View only');
  await expect(badge).toContainText('Review team');
  // The owner's token is not in the guest's page.
  const pageConfig = await guest.evaluate(
    () => document.getElementById('jupyter-config-data')?.textContent ?? ''
  );
  expect(pageConfig).not.toContain('capella-ui-owner-token');

  // The guest opens the notebook: read-only, no kernel.
  await guest.evaluate(async path => {
    await (window as any).jupyterapp.commands.execute('docmanager:open', {
      path
    });
  }, NOTEBOOK);
  const cell = guest.locator('.jp-Notebook .jp-Cell').first();
  await expect(cell).toContainText('written by the owner');
  await expect(guest.locator('.jp-CapellaShare-readOnly')).toBeVisible();
  const editor = cell.locator('.cm-content');
  await expect(editor).toHaveAttribute('aria-readonly', 'true');
  await expect(
    guest.locator('#filebrowser .jp-DirListing-item', { hasText: NOTEBOOK })
  ).toBeVisible();
  await screenshot(guest, 'guest-view-only.png', true);
  await editor.click();
  await guest.keyboard.type('guest typing');
  await expect(cell).not.toContainText('guest typing');
  // Running the cell starts no kernel, adds no cell, asks nothing.
  await guest.keyboard.press('Escape');
  await guest.keyboard.press('Shift+Enter');
  await guest.keyboard.press('b');
  await expect(
    guest.getByText('This document is read-only for you').first()
  ).toBeVisible();
  await expect(guest.locator('.jp-Notebook .jp-Cell')).toHaveCount(1);
  await expect(guest.locator('.jp-OutputArea-output')).toHaveCount(0);
  await expect(guest.locator('.jp-Dialog')).toHaveCount(0);
  // Locking the cells did not write "editable: false" into the notebook.
  const editable = await guest.evaluate(() => {
    const panel = (window as any).jupyterapp.shell.currentWidget;
    return panel.content.widgets.map((cell: any) =>
      cell.model.sharedModel.getMetadata('editable')
    );
  });
  expect(editable).toEqual([undefined]);
  const kernels = await page.request.get('api/kernels');
  expect(await kernels.json()).toEqual([]);

  // The owner sees the guest connected, then revokes the link.
  await expect(
    dialog.locator('tr', { hasText: 'Review team' })
  ).not.toContainText('nobody', { timeout: 15000 });
  await dialog
    .locator('tr', { hasText: 'Review team' })
    .getByRole('button', { name: /Revoke/ })
    .click();
  await expect(dialog.locator('tr', { hasText: 'Review team' })).toHaveCount(0);

  // The guest is told, at once, that access ended.
  const ended = guest.locator('.jp-Dialog');
  await expect(ended.locator('.jp-Dialog-header')).toHaveText(
    'Your access to this session has ended',
    { timeout: 5000 }
  );
  await expect(ended).toContainText('The owner revoked the link');
  await screenshot(guest, 'guest-access-ended.png', true);
  // Reloading says so too, instead of asking for the server's token.
  await guest.reload();
  await expect(guest.getByRole('heading')).toHaveText(
    'Your access to this session has ended'
  );
  await expect(guest.locator('main')).toContainText('revoked the link');
  await expect(guest.locator('main')).not.toContainText('jupyter server list');
  // And the link no longer opens anything.
  const again = await guest.request.get(url, { maxRedirects: 0 });
  expect([302, 403]).toContain(again.status());
  await guest.context().close();
});
