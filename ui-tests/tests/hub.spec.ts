import { expect, test } from '@playwright/test';

import { screenshot } from './guests';
import { Hub } from './hubs';

/**
 * Under a real JupyterHub (configurable-http-proxy, DummyAuthenticator): alice
 * shares her server with bob at "view" from the Share dialog; bob's Lab is
 * view-only; alice revokes and bob is shown out at once.
 */
let hub: Hub;

test.describe.configure({ mode: 'serial' });
test.setTimeout(180 * 1000);

test.beforeAll(async () => {
  hub = await Hub.start('run_hub.py');
});

test.afterAll(async () => {
  await hub?.stop();
});

test('alice shares with bob at view from the dialog, and revokes', async ({
  browser
}) => {
  const alice = await hub.logIn(browser, 'alice');
  await hub.openLab(alice, 'alice');
  await expect(
    alice.locator('#jp-top-bar').getByRole('button', { name: 'Share' })
  ).toBeVisible();
  await alice
    .locator('#jp-top-bar')
    .getByRole('button', { name: 'Share' })
    .click();
  const dialog = alice.locator('.jp-Dialog');
  const grantees = dialog.getByRole('region', {
    name: 'Hub users and groups'
  });
  await expect(grantees).toBeVisible();
  await grantees.getByLabel('Hub name').fill('bob');
  await grantees.getByLabel('Level').selectOption('view');
  await grantees.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(
    grantees.getByRole('button', { name: 'Revoke bob' })
  ).toBeVisible();
  await screenshot(alice, 'share-dialog-hub.png', true);

  const bob = await hub.logIn(browser, 'bob');
  await hub.openLab(bob, 'alice');
  await expect(bob.locator('.jp-CapellaShare-guestBadge')).toContainText(
    'View only'
  );

  await grantees.getByRole('button', { name: 'Revoke bob' }).click();
  await expect(bob.locator('.jp-Dialog .jp-Dialog-header')).toHaveText(
    'Your access to this session has ended',
    { timeout: 15000 }
  );
  await expect(grantees.getByText('Not shared with anyone')).toBeVisible();
});
