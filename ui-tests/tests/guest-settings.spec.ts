import { expect, test } from '@jupyterlab/galata';

import { makeLink, openGuest } from './guests';

test.use({ autoGoto: false });

test.afterAll(async ({ request }) => {
  await request.delete('api/capella-share/links');
});

/**
 * A guest's Lab preferences are its own, and work: the Settings menu changes
 * the guest's theme (kept for its next visit), never the owner's; what would
 * change the owner's Lab for everyone (its plugins, its extensions) is not
 * offered at all.
 */
test('a view guest picks its own theme from the Settings menu', async ({
  browser,
  page,
  request
}) => {
  await page.goto();
  const ownersTheme = await page.evaluate(
    () => document.body.dataset.jpThemeName
  );
  const link = await makeLink(request, 'view', 'Readers');
  const guest = await openGuest(browser, link.url);
  const refused: string[] = [];
  guest.on('response', response => {
    if (response.status() === 403) {
      refused.push(`${response.request().method()} ${response.url()}`);
    }
  });

  await guest
    .locator('#jp-menu-panel')
    .getByRole('menuitem', { name: 'Settings', exact: true })
    .click();
  await guest.locator('.lm-Menu-item', { hasText: /^Theme$/ }).click();
  await guest
    .locator('.lm-Menu-item', { hasText: /^JupyterLab Dark$/ })
    .click();
  await expect
    .poll(() => guest.evaluate(() => document.body.dataset.jpThemeName))
    .toBe('JupyterLab Dark');
  expect(refused).toEqual([]);

  // kept for the guest's next visit
  await guest.reload();
  await guest.waitForSelector('.jp-LabShell');
  await expect
    .poll(() => guest.evaluate(() => document.body.dataset.jpThemeName))
    .toBe('JupyterLab Dark');
  // and the owner's Lab is as it was
  await page.reload();
  await page.waitForSelector('.jp-LabShell');
  expect(await page.evaluate(() => document.body.dataset.jpThemeName)).toBe(
    ownersTheme
  );

  // Neither the plugin manager nor the extension manager is offered.
  const offered = await guest.evaluate(() => {
    const commands = (window as any).jupyterapp.commands;
    return ['pluginmanager:open', 'extensionmanager:show-panel'].filter(
      id => commands.hasCommand(id) && commands.isVisible(id)
    );
  });
  expect(offered).toEqual([]);
  await expect(
    guest.locator('.lm-TabBar-tab[title^="Extension Manager"]')
  ).toHaveCount(0);
  await guest.context().close();
});
