import { Browser, expect, Locator, Page, test } from '@playwright/test';

import { screenshot } from './guests';
import { Hub } from './hubs';

/**
 * Project shares kept by the share registry, under a real JupyterHub with the
 * registry as a hub-managed service and the spawner hook (hub/run_registry_hub.py):
 * alice manages project "Coffee Machine" and its share "Brewer", bob is a
 * read-only member. Side by side, alice's panel offers New share and Delete,
 * bob's says the registry manages the shares and his notebook there is
 * read-only; alice deletes the share and it leaves bob's panel.
 */
const CONFIRM = 'coffee-machine/brewer';
/** The session's registry poll (3 s) plus the panel's own (10 s), with room. */
const GONE_WITHIN = 20 * 1000;

let hub: Hub;

test.describe.configure({ mode: 'serial' });
test.setTimeout(240 * 1000);

test.beforeAll(async () => {
  test.setTimeout(180 * 1000);
  hub = await Hub.start('run_registry_hub.py');
});

test.afterAll(async () => {
  await hub?.stop();
});

async function logIn(browser: Browser, user: string): Promise<Page> {
  const page = await hub.logIn(browser, user, { width: 1024, height: 640 });
  await hub.openLab(page, user);
  await expect(page.getByRole('tab', { name: 'Launcher' })).toBeVisible();
  return page;
}

function sharesPanel(page: Page): Locator {
  return page.getByRole('region', { name: 'Project shares' });
}

async function openPanel(page: Page): Promise<Locator> {
  await page.getByRole('tab', { name: 'Project shares' }).click();
  const panel = sharesPanel(page);
  await expect(
    panel.getByRole('heading', { name: 'Project shares' })
  ).toBeVisible();
  return panel;
}

function brewer(panel: Locator): Locator {
  return panel.locator(`[data-share="${CONFIRM}"]`);
}

/**
 * Both panels in one picture, left manager, right member.
 */
async function sideBySide(browser: Browser, alice: Page, bob: Page) {
  const clip = { x: 0, y: 0, width: 300, height: 240 };
  const [left, right] = await Promise.all(
    [alice, bob].map(async page =>
      (await page.screenshot({ clip })).toString('base64')
    )
  );
  const context = await browser.newContext({
    viewport: { width: 2 * clip.width + 24, height: clip.height + 48 }
  });
  const page = await context.newPage();
  await page.setContent(`
    <body style="margin:0;padding:8px;display:flex;gap:8px;font:13px sans-serif;background:#eee">
      <figure style="margin:0"><figcaption>alice (manager)</figcaption>
        <img src="data:image/png;base64,${left}"></figure>
      <figure style="margin:0"><figcaption>bob (read-only member)</figcaption>
        <img src="data:image/png;base64,${right}"></figure>
    </body>`);
  await screenshot(page, 'registry-panels.png', true);
  await context.close();
}

test('a registry share: manager and read-only member side by side', async ({
  browser
}) => {
  const alice = await logIn(browser, 'alice');
  const bob = await logIn(browser, 'bob');
  const managerPanel = await openPanel(alice);
  const memberPanel = await openPanel(bob);

  // alice manages the project: RW, New share and Delete
  const aliceRow = brewer(managerPanel);
  await expect(aliceRow.getByText('RW', { exact: true })).toBeVisible();
  await expect(
    aliceRow.getByRole('button', { name: 'Brewer', exact: true })
  ).toBeEnabled();
  await expect(
    managerPanel.getByRole('button', { name: 'New share' })
  ).toBeVisible();
  await expect(aliceRow.getByRole('button', { name: /^Delete/ })).toBeVisible();
  await expect(managerPanel.getByRole('note')).toHaveCount(0);
  await expect(managerPanel.getByText('Coffee Machine')).toBeVisible();

  // bob reads it: RO, nothing to create or delete, the registry named
  const bobRow = brewer(memberPanel);
  await expect(bobRow.getByText('RO', { exact: true })).toBeVisible();
  await expect(bobRow.getByText('Restart needed')).toHaveCount(0);
  await expect(
    memberPanel.getByRole('button', { name: 'New share' })
  ).toHaveCount(0);
  await expect(bobRow.getByRole('button', { name: /^Delete/ })).toHaveCount(0);
  await expect(bobRow.getByRole('button', { name: /^Make read/ })).toHaveCount(
    0
  );
  const managed = memberPanel
    .getByRole('note')
    .getByRole('link', { name: 'Shares are managed in the project registry' });
  await expect(managed).toBeVisible();
  // the registry's page, on the Lab's own host (through the hub's proxy)
  await expect(managed).toHaveAttribute(
    'href',
    new URL(hub.ready.registry).pathname
  );

  await screenshot(alice, 'registry-panel-manager.png', true);
  await screenshot(bob, 'registry-panel-member.png', true);
  await sideBySide(browser, alice, bob);

  // bob's notebook in the share opens read-only, and a write is refused by name
  await bobRow.getByRole('button', { name: 'Brewer', exact: true }).click();
  const listing = bob.locator('#filebrowser').getByRole('listitem');
  await listing.filter({ hasText: 'brew.ipynb' }).dblclick();
  const opened = bob.locator('.jp-NotebookPanel:visible');
  await expect(opened.getByText('notebook is read-only')).toBeVisible({
    timeout: 30000
  });
  await expect(opened.getByRole('heading', { name: 'Brewer' })).toBeVisible();
  await screenshot(bob, 'registry-member-notebook.png');
  const cookies = await bob.context().cookies(`${hub.url}/user/bob/`);
  const xsrf = cookies.find(cookie => cookie.name === '_xsrf')?.value ?? '';
  const refused = await bob.request.put(
    `${hub.url}/user/bob/api/contents/${hub.ready.notebook}`,
    {
      headers: { 'X-XSRFToken': xsrf },
      data: { type: 'file', format: 'text', content: 'overwritten' }
    }
  );
  expect(refused.status()).toBe(403);
  expect((await refused.json()).message).toContain(CONFIRM);
  // bob keeps the notebook open and looks at his panel again
  await openPanel(bob);

  // alice deletes it, typing its name; it leaves bob's panel too
  await aliceRow.getByRole('button', { name: /^Delete/ }).click();
  const confirm = alice.getByRole('dialog');
  const deleteButton = confirm.getByRole('button', { name: 'Delete for good' });
  await expect(deleteButton).toBeDisabled();
  await confirm.getByRole('textbox').fill(CONFIRM);
  await expect(deleteButton).toBeEnabled();
  await screenshot(alice, 'registry-manager-delete-dialog.png');
  await deleteButton.click();
  const deleted = Date.now();
  await expect(aliceRow).toHaveCount(0);
  await expect(bobRow).toHaveCount(0, { timeout: GONE_WITHIN });
  const took = ((Date.now() - deleted) / 1000).toFixed(1);
  test.info().annotations.push({
    type: 'gone from the member panel',
    description: `${took} s`
  });
  console.log(`the share left bob's panel ${took} s after the delete`);
  await expect(memberPanel.getByText('No project shares.')).toBeVisible();
  // and bob is told that the notebook he has open is gone from the server
  await expect(
    bob.getByText(
      /The share .*coffee-machine\/brewer is gone: save "brew\.ipynb" elsewhere/
    )
  ).toBeVisible({ timeout: GONE_WITHIN });
  await screenshot(bob, 'registry-member-after-delete.png');
});
