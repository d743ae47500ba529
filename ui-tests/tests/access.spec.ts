import { expect, test } from '@jupyterlab/galata';
import { Locator, Page } from '@playwright/test';
import { promises as fs } from 'fs';
import * as path from 'path';

import { makeLink, notebookWith, openGuest, screenshot } from './guests';

test.use({ autoGoto: false });

const FOLDER = 'access-ui';
const NOTEBOOK = `${FOLDER}/report.ipynb`;
const NOTEBOOK_CONTENT = notebookWith([{ id: 'c1', source: 'print(1)' }]);

/** What makes, changes or runs something, as the Lab names it in its menus. */
const CHANGING = [
  /^Rename/,
  /^Delete/,
  /^Move to Trash/,
  /^Cut/,
  /^Paste/,
  /^Duplicate/,
  /^New/,
  /^Shut Down Kernel/
];

function fileBrowser(page: Page): Locator {
  return page.locator('#filebrowser');
}

function item(page: Page, name: string): Locator {
  return fileBrowser(page).locator('.jp-DirListing-item', { hasText: name });
}

/** Right-click `target`; the context menu that opens. */
async function contextMenu(page: Page, target: Locator): Promise<Locator> {
  await target.click({ button: 'right' });
  const menu = page.locator('.lm-Menu.lm-MenuBar-menu, .lm-Menu').last();
  await expect(menu).toBeVisible();
  return menu;
}

/** The labels of a menu's items that can be seen (submenus included). */
async function labels(menu: Locator): Promise<string[]> {
  return menu
    .locator('.lm-Menu-item:visible .lm-Menu-itemLabel')
    .allTextContents();
}

function expectNoneOf(found: string[], patterns: RegExp[]): void {
  for (const pattern of patterns) {
    expect(
      found.filter(label => pattern.test(label)),
      `${pattern} in ${found}`
    ).toEqual([]);
  }
}

/** Every request `page` sends that would write files. */
function watchWrites(page: Page): string[] {
  const writes: string[] = [];
  page.on('request', request => {
    if (request.url().includes('/api/contents') && request.method() !== 'GET') {
      writes.push(`${request.method()} ${request.url()}`);
    }
  });
  return writes;
}

/**
 * Drop a file from the desktop on `target`, as the browser does it (through the
 * DevTools protocol: a page cannot make a drop of real files itself).
 */
async function dropFile(target: Locator, name: string): Promise<void> {
  const file = path.join(test.info().outputPath(), name);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, 'dropped');
  const box = await target.boundingBox();
  if (!box) {
    throw new Error('nothing to drop on');
  }
  const page = target.page();
  const devtools = await page.context().newCDPSession(page);
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const data = { items: [], files: [file], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await devtools.send('Input.dispatchDragEvent', { type, ...at, data });
  }
  await devtools.detach();
}

test.beforeAll(async ({ request }) => {
  await request.put(`api/contents/${FOLDER}`, { data: { type: 'directory' } });
  await request.put(`api/contents/${NOTEBOOK}`, {
    data: { type: 'notebook', format: 'json', content: NOTEBOOK_CONTENT }
  });
});

test.afterAll(async ({ request }) => {
  await request.delete('api/capella-share/links');
  await request.delete(`api/contents/${NOTEBOOK}`);
  await request.delete(`api/contents/${FOLDER}`);
});

test('a view guest is offered nothing that makes, changes or runs', async ({
  browser,
  request
}) => {
  const link = await makeLink(request, 'view', 'Readers');
  const guest = await openGuest(browser, link.url);
  const writes = watchWrites(guest);
  const errors: string[] = [];
  guest.on('pageerror', error => errors.push(error.message));
  guest.on('console', message => {
    if (message.type() === 'error') {
      errors.push(message.text());
    }
  });

  // The launcher says what a view link is for, and offers no tile.
  const note = guest.getByRole('note');
  await expect(note).toHaveText('View only: you can open and read files.');
  await expect(note).toBeVisible();
  await expect(guest.locator('.jp-LauncherCard')).toHaveCount(0);
  await expect(item(guest, FOLDER)).toBeVisible();
  await screenshot(guest, 'guest-view-launcher.png', true);

  // The file browser's toolbar: refresh, but no new launcher, folder or upload.
  const toolbar = fileBrowser(guest).getByRole('toolbar').first();
  await expect(
    toolbar.getByRole('button', { name: /Refresh/ }).first()
  ).toBeVisible();
  for (const name of [/New Launcher/, /New Folder/, /Upload/]) {
    await expect(toolbar.getByRole('button', { name })).toHaveCount(0);
  }

  // The context menu of a folder offers opening and copying only.
  let menu = await contextMenu(guest, item(guest, FOLDER));
  let found = await labels(menu);
  expect(found).toContain('Open');
  expect(found).toContain('Copy');
  expectNoneOf(found, CHANGING);
  await guest.keyboard.press('Escape');

  // Inside the folder: nothing to make in the blank space, nothing to change.
  await item(guest, FOLDER).dblclick();
  await expect(item(guest, 'report.ipynb')).toBeVisible();
  menu = await contextMenu(guest, item(guest, 'report.ipynb'));
  found = await labels(menu);
  expect(found).toContain('Download');
  expectNoneOf(found, CHANGING);
  await screenshot(guest, 'guest-context-menu.png', true);
  await guest.keyboard.press('Escape');
  const blank = fileBrowser(guest).locator('.jp-DirListing-content');
  menu = await contextMenu(guest, blank);
  expectNoneOf(await labels(menu), CHANGING);
  await guest.keyboard.press('Escape');

  // The keys do nothing either: the file stays, no dialog asks anything.
  await item(guest, 'report.ipynb').click();
  await guest.keyboard.press('Delete');
  await guest.keyboard.press('F2');
  await expect(guest.locator('.jp-Dialog')).toHaveCount(0);
  await expect(fileBrowser(guest).locator('.jp-DirListing-editor')).toHaveCount(
    0
  );

  // A file dropped from the desktop is not uploaded.
  await dropFile(blank, 'dropped.txt');

  // The menu bar: no File › New, no New Launcher, no Run or Kernel menu.
  const menuBar = guest.locator('#jp-menu-panel');
  await expect(menuBar.getByRole('menuitem', { name: 'File' })).toBeVisible();
  for (const name of ['Run', 'Kernel']) {
    await expect(
      menuBar.getByRole('menuitem', { name, exact: true })
    ).toHaveCount(0);
  }
  await menuBar.getByRole('menuitem', { name: 'File' }).click();
  menu = guest.locator('.lm-Menu').last();
  found = await labels(menu);
  expect(found).toContain('Open from Path…');
  expectNoneOf(found, [
    /^New$/,
    /^New Launcher/,
    /^New Console/,
    /^Save\s*$/,
    /^Save\s+As/,
    /^Save All/,
    /^Rename/,
    /^Duplicate/,
    /^Delete/,
    /^Shut Down/
  ]);
  await guest.keyboard.press('Escape');

  // None of it asked the server to write anything, or met an error.
  expect(writes).toEqual([]);
  expect(errors).toEqual([]);

  // A command run anyway is refused here, in the product's words.
  const refused = await guest.evaluate(async folder => {
    try {
      await (window as any).jupyterapp.commands.execute(
        'docmanager:new-untitled',
        { path: folder, type: 'notebook' }
      );
      return 'executed';
    } catch (error) {
      return (error as Error).message;
    }
  }, FOLDER);
  expect(refused).toBe('This is a view-only link: you cannot create files.');
  // And what reaches the server anyway comes back explained, not in its words.
  const answered = await guest.evaluate(async folder => {
    try {
      await (window as any).jupyterapp.serviceManager.contents.newUntitled({
        path: folder,
        type: 'notebook'
      });
      return 'created';
    } catch (error) {
      return (error as Error).message;
    }
  }, FOLDER);
  expect(answered).toBe('This is a view-only link: you cannot create files.');

  const listing = await request.get(`api/contents/${FOLDER}`);
  const names = (await listing.json()).content.map((f: any) => f.name);
  expect(names).toEqual(['report.ipynb']);
  await guest.context().close();
});

test('an edit guest has no terminal anywhere', async ({ browser, request }) => {
  const link = await makeLink(request, 'edit', 'Editors');
  const guest = await openGuest(browser, link.url);

  // The launcher offers notebooks and files, not a terminal.
  const cards = guest.locator('.jp-LauncherCard');
  await expect(cards.first()).toBeVisible();
  await expect(guest.getByRole('note')).toHaveCount(0);
  await expect(cards.filter({ hasText: 'Python 3' }).first()).toBeVisible();
  await expect(cards.filter({ hasText: 'Terminal' })).toHaveCount(0);

  // File › New: no terminal either; nor in the command palette.
  const menuBar = guest.locator('#jp-menu-panel');
  await menuBar.getByRole('menuitem', { name: 'File' }).click();
  await guest.locator('.lm-Menu .lm-Menu-item', { hasText: /^New$/ }).click();
  const newMenu = guest.locator('.lm-Menu', { hasText: 'Markdown File' });
  const found = await labels(newMenu);
  expect(found).toContain('Notebook');
  expect(found).not.toContain('Terminal');
  await guest.keyboard.press('Escape');
  await guest.keyboard.press('Escape');
  const terminals = await guest.evaluate(() =>
    (window as any).jupyterapp.commands
      .listCommands()
      .filter((id: string) => id.startsWith('terminal:'))
  );
  expect(terminals).toEqual([]);
  await guest.context().close();
});

test.describe('a read-only project share', () => {
  const SHARE = 'ui-access/reference';
  const DROPPED = 'dropped-by-owner.txt';

  test.beforeAll(async ({ request }) => {
    const created = await request.post('api/capella-share/shares', {
      data: { project: 'UI access', model: 'Reference' }
    });
    expect(created.status()).toBe(201);
    await request.put(`api/contents/${SHARE}/reference.ipynb`, {
      data: { type: 'notebook', format: 'json', content: NOTEBOOK_CONTENT }
    });
    const patched = await request.patch(`api/capella-share/shares/${SHARE}`, {
      data: { permission: 'read-only' }
    });
    expect(patched.status()).toBe(200);
  });

  test.afterAll(async ({ request }) => {
    await request.delete(`api/capella-share/shares/${SHARE}`, {
      data: { confirm: SHARE }
    });
    await request.delete(`api/contents/${DROPPED}`);
  });

  test('offers its owner nothing that would change it', async ({ page }) => {
    await page.goto();
    const writes = watchWrites(page);

    // Its project folder holds it: that folder cannot be renamed or deleted.
    let menu = await contextMenu(page, item(page, 'ui-access'));
    expect(await labels(menu)).toContain('Open');
    expectNoneOf(await labels(menu), [/^Rename/, /^Delete/, /^Cut/]);
    await page.keyboard.press('Escape');
    await item(page, 'ui-access').dblclick();
    menu = await contextMenu(page, item(page, 'reference'));
    expectNoneOf(await labels(menu), [/^Rename/, /^Delete/, /^Cut/]);
    await page.keyboard.press('Escape');

    // Inside: no new folder, no upload, nothing to change; opening and copying.
    await item(page, 'reference').dblclick();
    await expect(item(page, 'reference.ipynb')).toBeVisible();
    const toolbar = fileBrowser(page).getByRole('toolbar').first();
    await expect(
      toolbar.getByRole('button', { name: /New Folder/ })
    ).toHaveCount(0);
    await expect(toolbar.getByRole('button', { name: /Upload/ })).toHaveCount(
      0
    );
    menu = await contextMenu(page, item(page, 'reference.ipynb'));
    const found = await labels(menu);
    expect(found).toEqual(expect.arrayContaining(['Open', 'Copy', 'Download']));
    expectNoneOf(found, CHANGING);
    await page.keyboard.press('Escape');
    const blank = fileBrowser(page).locator('.jp-DirListing-content');
    menu = await contextMenu(page, blank);
    expectNoneOf(await labels(menu), CHANGING);
    await page.keyboard.press('Escape');
    await dropFile(blank, DROPPED);

    // A launcher here offers consoles, not notebooks or files, and says why.
    await toolbar.getByRole('button', { name: /New Launcher/ }).click();
    const note = page.getByRole('note');
    await expect(note).toHaveText(
      `"${SHARE}" is a read-only project share: nothing new can be made in it.`
    );
    const launcher = page.locator('.jp-Launcher:visible');
    await expect(
      launcher.locator('.jp-LauncherCard[data-category="Console"]')
    ).not.toHaveCount(0);
    await expect(
      launcher.locator('.jp-LauncherCard[data-category="Notebook"]')
    ).toHaveCount(0);
    await expect(
      launcher.locator('.jp-LauncherCard', { hasText: 'Text File' })
    ).toHaveCount(0);
    await screenshot(page, 'read-only-share-launcher.png');

    // Back where files may be written, everything is offered again.
    await fileBrowser(page).locator('.jp-BreadCrumbs-home').click();
    await expect(toolbar.getByRole('button', { name: /Upload/ })).toBeVisible();
    await expect(note).toBeHidden();
    await expect(
      launcher.locator('.jp-LauncherCard[data-category="Notebook"]').first()
    ).toBeVisible();
    expect(writes).toEqual([]);
    await dropFile(blank, DROPPED);
    await expect(item(page, DROPPED)).toBeVisible();
    expect(writes).toHaveLength(1);
  });
});
