import { expect, test } from '@jupyterlab/galata';
import { APIRequestContext, Page } from '@playwright/test';

import { notebookWith, openGuest } from './guests';

test.use({ autoGoto: false });

const NOTEBOOK = 'rtc-together.ipynb';

const NOTEBOOK_CONTENT = notebookWith([
  { id: 'owner', source: '' },
  { id: 'guest', source: '' }
]);

async function makeLink(
  request: APIRequestContext,
  permission: 'view' | 'edit',
  label: string
): Promise<{ id: string; url: string }> {
  const response = await request.post('api/capella-share/links', {
    data: { permission, expires_in: 3600, label }
  });
  expect(response.status()).toBe(201);
  return response.json();
}

async function openNotebook(page: Page): Promise<void> {
  await page.evaluate(async path => {
    await (window as any).jupyterapp.commands.execute('docmanager:open', {
      path
    });
  }, NOTEBOOK);
  await expect(page.locator('.jp-NotebookPanel .jp-Cell')).toHaveCount(2);
}

function cell(page: Page, index: number) {
  return page.locator('.jp-NotebookPanel .jp-Cell').nth(index);
}

async function typeInto(page: Page, index: number, text: string) {
  await cell(page, index).locator('.cm-content').click();
  await page.keyboard.press('End');
  await page.keyboard.type(text);
}

async function savedSources(request: APIRequestContext): Promise<string[]> {
  const response = await request.get(`api/contents/${NOTEBOOK}?content=1`);
  const model = await response.json();
  return model.content.cells.map((c: any) => c.source);
}

test('owner and guests edit one notebook live; a view guest only watches', async ({
  page,
  browser
}) => {
  await page.contents.uploadContent(
    JSON.stringify(NOTEBOOK_CONTENT),
    'text',
    NOTEBOOK
  );
  const editLink = await makeLink(page.request, 'edit', 'Review team');
  const viewLink = await makeLink(page.request, 'view', 'Audit');

  await page.goto();
  await openNotebook(page);
  const editor = await openGuest(browser, editLink.url);
  await openNotebook(editor);
  // Lab opened it collaboratively: the shared model is served by jupyter-collaboration.
  const collaborative = await editor.evaluate(
    () =>
      (window as any).jupyterapp.shell.currentWidget.context.model.collaborative
  );
  expect(collaborative).toBe(true);

  // Each editor types into a cell; each sees the other's text.
  await typeInto(page, 0, 'owner_text = 1');
  await typeInto(editor, 1, 'guest_text = 2');
  await expect(cell(editor, 0)).toContainText('owner_text = 1');
  await expect(cell(page, 1)).toContainText('guest_text = 2');

  // The view guest sees the document and the text that arrives later.
  const viewer = await openGuest(browser, viewLink.url);
  await openNotebook(viewer);
  await expect(cell(viewer, 0)).toContainText('owner_text = 1');
  await expect(cell(viewer, 1)).toContainText('guest_text = 2');
  await typeInto(editor, 1, ' + 40');
  await expect(cell(viewer, 1)).toContainText('guest_text = 2 + 40');

  // ... but cannot type: its editors are read-only.
  await expect(viewer.locator('.jp-CapellaShare-readOnly')).toBeVisible();
  const viewerEditor = cell(viewer, 0).locator('.cm-content');
  await expect(viewerEditor).toHaveAttribute('aria-readonly', 'true');
  await viewerEditor.click();
  await viewer.keyboard.type('viewer_text = 3');
  await expect(cell(viewer, 0)).not.toContainText('viewer_text');

  // Even a change forced into the view guest's copy of the document (past the
  // read-only editors) stays there: the server drops it.
  await viewer.evaluate(() => {
    const panel = (window as any).jupyterapp.shell.currentWidget;
    panel.content.model.sharedModel.getCell(0).setSource('forced = 0');
  });
  await expect(cell(viewer, 0)).toContainText('forced = 0');

  // The file on disk holds both editors' text, and nothing of the view guest's.
  await expect
    .poll(() => savedSources(page.request), { timeout: 15000 })
    .toEqual(['owner_text = 1', 'guest_text = 2 + 40']);
  await expect(cell(page, 0)).toContainText('owner_text = 1');
  await expect(cell(page, 0)).not.toContainText('forced');
  await expect(cell(editor, 0)).not.toContainText('forced');

  await page.screenshot({ path: 'test-results/rtc-owner.png' });
  await editor.screenshot({ path: 'test-results/rtc-edit-guest.png' });
  await viewer.screenshot({ path: 'test-results/rtc-view-guest.png' });

  // Revoking the edit link ends its guest's live editing too.
  const revoked = await page.request.delete(
    `api/capella-share/links/${editLink.id}`
  );
  expect(revoked.status()).toBe(204);
  await expect(editor.locator('.jp-Dialog-header')).toHaveText(
    'Your access to this session has ended',
    { timeout: 10000 }
  );
  await expect(cell(editor, 1).locator('.cm-content').first()).toHaveAttribute(
    'aria-readonly',
    'true'
  );
  await editor.screenshot({ path: 'test-results/rtc-edit-guest-revoked.png' });

  await page.request.delete(`api/capella-share/links/${viewLink.id}`);
  await editor.context().close();
  await viewer.context().close();
});

test('a document follows its project share switched to read-only and back', async ({
  page
}) => {
  const created = await page.request.post('api/capella-share/shares', {
    data: {
      project: 'RTC project',
      model: 'Live model',
      permission: 'read-write'
    }
  });
  expect(created.status()).toBe(201);
  const share = await created.json();
  const shareUrl = `api/capella-share/shares/${share.project}/${share.model}`;
  try {
    await page.contents.uploadContent(
      JSON.stringify(NOTEBOOK_CONTENT),
      'text',
      `${share.path}/${NOTEBOOK}`
    );
    await page.goto();
    await page.evaluate(async path => {
      await (window as any).jupyterapp.commands.execute('docmanager:open', {
        path
      });
    }, `${share.path}/${NOTEBOOK}`);
    const editor = cell(page, 0).locator('.cm-content');
    await expect(editor).not.toHaveAttribute('aria-readonly', 'true');

    await page.request.patch(shareUrl, { data: { permission: 'read-only' } });
    await expect(editor).toHaveAttribute('aria-readonly', 'true', {
      timeout: 15000
    });
    await expect(
      page.getByText('is now read-only for you').first()
    ).toBeVisible();
    await page.screenshot({ path: 'test-results/rtc-share-read-only.png' });

    await page.request.patch(shareUrl, { data: { permission: 'read-write' } });
    await expect(editor).not.toHaveAttribute('aria-readonly', 'true', {
      timeout: 15000
    });
    await typeInto(page, 0, 'editable_again = True');
    await expect(cell(page, 0)).toContainText('editable_again = True');
  } finally {
    await page.request.delete(shareUrl, {
      data: { confirm: `${share.project}/${share.model}` }
    });
  }
});
