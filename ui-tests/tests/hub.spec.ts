import { Browser, expect, Page, test } from '@playwright/test';
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

import { screenshot } from './guests';

/**
 * Under a real JupyterHub (configurable-http-proxy, DummyAuthenticator): alice
 * shares her server with bob at "view" from the Share dialog; bob's Lab is
 * view-only; alice revokes and bob is shown out at once.
 */
let hub: ChildProcessWithoutNullStreams;
let hubURL = '';
let password = '';

test.describe.configure({ mode: 'serial' });
test.setTimeout(180 * 1000);

test.beforeAll(async () => {
  const python = process.env.CAPELLA_PYTHON || 'python';
  hub = spawn(python, [path.join(__dirname, '..', 'hub', 'run_hub.py')]);
  hub.stderr.on('data', () => undefined);
  const lines = readline.createInterface({ input: hub.stdout });
  const ready = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    hub.once('exit', code => reject(new Error(`the hub exited (${code})`)));
  });
  ({ url: hubURL, password } = JSON.parse(ready));
});

test.afterAll(async () => {
  if (hub) {
    const exited = new Promise(resolve => hub.once('exit', resolve));
    hub.kill('SIGTERM');
    await exited;
  }
});

async function logIn(browser: Browser, user: string): Promise<Page> {
  // no token header: a hub user logs in with the hub's form
  const context = await browser.newContext({ extraHTTPHeaders: {} });
  const page = await context.newPage();
  await page.goto(`${hubURL}/hub/login`);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

async function openLab(page: Page, owner: string): Promise<void> {
  await page.goto(`${hubURL}/user/${owner}/lab`);
  // the hub asks once before letting a user into another's server
  const authorize = page.getByRole('button', { name: 'Authorize' });
  if (await authorize.isVisible({ timeout: 5000 }).catch(() => false)) {
    await authorize.click();
  }
  await expect(page.locator('#jp-top-bar')).toBeVisible({ timeout: 60000 });
}

test('alice shares with bob at view from the dialog, and revokes', async ({
  browser
}) => {
  const alice = await logIn(browser, 'alice');
  await openLab(alice, 'alice');
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

  const bob = await logIn(browser, 'bob');
  await openLab(bob, 'alice');
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
