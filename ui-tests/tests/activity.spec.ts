import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';

import { makeLink, notebookWith, openGuest, screenshot } from './guests';

test.use({ autoGoto: false });

const NOTEBOOK = 'activity.ipynb';
const DATA = 'notes.csv';

test.afterAll(async ({ request }) => {
  await request.delete('api/capella-share/links');
  await request.delete(`api/contents/${NOTEBOOK}`);
  await request.delete(`api/contents/${DATA}`);
});

/** The actions of the activity view's rows, top to bottom. */
async function actions(page: any): Promise<string[]> {
  return page
    .locator('.jp-CapellaActivity tbody tr')
    .evaluateAll((rows: Element[]) =>
      rows.map(row => row.getAttribute('data-action') ?? '')
    );
}

/** The status of a GET the guest's page makes (with its login cookie). */
async function fetched(guest: any, url: string): Promise<number> {
  return guest.evaluate(async (url: string) => (await fetch(url)).status, url);
}

/** Whether ``wanted`` appear in ``found`` in that order (others between). */
function inOrder(found: string[], wanted: string[]): boolean {
  let at = 0;
  for (const action of found) {
    if (action === wanted[at]) {
      at += 1;
    }
  }
  return at === wanted.length;
}

test("the owner reads what a link's guests did: newest first, live, files a click away, as CSV", async ({
  page,
  browser,
  request
}) => {
  await page.contents.uploadContent(
    JSON.stringify(
      notebookWith([{ id: 'c1', source: 'print("run by a guest")' }])
    ),
    'text',
    NOTEBOOK
  );
  await page.contents.uploadContent('a,b\n1,2\n', 'text', DATA);
  const link = await makeLink(request, 'edit', 'Review team');

  // A guest opens the link, runs the notebook's cell, downloads a file and
  // asks for something its link does not allow.
  const guest = await openGuest(browser, link.url);
  const base = new URL(link.url).origin + '/';
  await guest.evaluate(async path => {
    await (window as any).jupyterapp.commands.execute('docmanager:open', {
      path
    });
  }, NOTEBOOK);
  const cell = guest.locator('.jp-Notebook .jp-Cell').first();
  await expect(cell).toContainText('run by a guest');
  // once its kernel is there (a guest's runs in the sandbox)
  await guest
    .locator('#jp-main-statusbar')
    .getByText('Idle')
    .waitFor({ timeout: 60000 });
  await guest.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('notebook:run-all-cells');
  });
  await expect(guest.locator('.jp-OutputArea-output').first()).toContainText(
    'run by a guest',
    { timeout: 30000 }
  );
  expect(await fetched(guest, `${base}files/${DATA}`)).toBe(200);
  expect(await fetched(guest, `${base}api/capella-share/links`)).toBe(403);

  // The owner opens the link's activity from its row in the Share dialog.
  await page.goto();
  await page
    .locator('#jp-top-bar')
    .getByRole('button', { name: 'Share' })
    .click();
  const dialog = page.locator('.jp-Dialog');
  const activity = dialog
    .locator('tr', { hasText: 'Review team' })
    .getByRole('button', { name: 'Activity of Review team' });
  await expect(activity).toBeVisible();
  await screenshot(page, 'share-dialog-activity.png');
  await activity.click();
  await expect(dialog).toHaveCount(0);
  const view = page.locator('.jp-CapellaActivity');
  await expect(view.getByRole('heading', { level: 2 })).toHaveText(
    'Activity of the link "Review team"'
  );
  const rows = view.locator('tbody tr');
  const refusal = view.locator('tr[data-action="refused"]');
  await expect(refusal).toContainText('was refused');
  await expect(refusal).toContainText('/api/capella-share/links');
  // newest first (the notebook's live saves come among them as they happen)
  const found = await actions(page);
  expect(
    inOrder(found, [
      'refused',
      'file.download',
      'kernel.execute',
      'kernel.start',
      'file.open',
      'guest.arrived',
      'link.create'
    ])
  ).toBe(true);
  // who, by name and level, and the code run by its first line only
  const ran = view.locator('tr[data-action="kernel.execute"]').first();
  await expect(ran).toContainText('Review team');
  await expect(ran).toContainText('Can edit');
  await expect(ran.locator('code')).toHaveText('print("run by a guest")');
  await expect(view).not.toContainText('csl_');

  // What the guest does now shows on top within a few seconds (the view asks
  // the server every 3 s for the records made since).
  expect(await fetched(guest, `${base}files/${NOTEBOOK}`)).toBe(200);
  await expect(rows.first()).toHaveAttribute('data-action', 'file.download', {
    timeout: 10000
  });
  await expect(rows.first()).toContainText(NOTEBOOK);
  await screenshot(page, 'activity.png', true);

  // A file named in the view opens with a click (or the keyboard).
  const path = view
    .locator('tr[data-action="file.download"]')
    .getByRole('button', { name: DATA });
  await path.focus();
  await page.keyboard.press('Enter');
  await expect(
    page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: DATA })
  ).toBeVisible();

  // The whole of it, as CSV.
  await page
    .locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
      hasText: 'Activity: Review team'
    })
    .click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    view.getByRole('link', { name: 'Download CSV' }).click()
  ]);
  expect(download.suggestedFilename()).toBe(
    `capella-share-activity-${link.id}.csv`
  );
  const csv = fs.readFileSync((await download.path())!, 'utf-8');
  expect(csv.split('\r\n')[0]).toBe(
    'seq,at,action,level,link,user,name,path,to,details'
  );
  expect(csv).toContain('kernel.execute');
  expect(csv).not.toContain('csl_');
  await guest.context().close();
});
