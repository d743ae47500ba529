import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { makeLink, screenshot } from './guests';

test.use({ autoGoto: false });

/** Six active links, as a team sharing a session might have. */
const LINKS: ['view' | 'edit' | 'full', string][] = [
  ['view', 'Review team'],
  ['view', 'Steering committee'],
  ['edit', 'Modelling crew'],
  ['edit', 'Thermal analysis'],
  ['full', 'Integration lead'],
  ['view', 'Customer preview']
];

/** The accessible name of whatever has the keyboard focus. */
async function focusedName(page: IJupyterLabPageFixture): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLInputElement | null;
    if (!element) {
      return '';
    }
    return (
      element.getAttribute('aria-label') ||
      element.labels?.[0]?.textContent ||
      element.textContent ||
      ''
    ).trim();
  });
}

test.describe('the Share dialog', () => {
  test.beforeEach(async ({ request }) => {
    await request.delete('api/capella-share/links');
    for (const [permission, label] of LINKS) {
      await makeLink(request, permission, label);
    }
  });

  test.afterAll(async ({ request }) => {
    await request.delete('api/capella-share/links');
  });

  for (const [width, height] of [
    [1024, 768],
    [1280, 800]
  ]) {
    for (const theme of ['light', 'dark']) {
      test(`fits at ${width}×${height} in the ${theme} theme`, async ({
        page
      }) => {
        await page.setViewportSize({ width, height });
        await page.goto();
        if (theme === 'dark') {
          await page.theme.setDarkTheme();
        }
        await page
          .locator('#jp-top-bar')
          .getByRole('button', { name: 'Share' })
          .click();
        const dialog = page.locator('.jp-Dialog');
        const url = dialog.getByRole('textbox', { name: 'Session URL' });
        // The tallest state: a new link's choices shown, seven links listed.
        await dialog
          .getByRole('checkbox', { name: 'Include the token in the URL' })
          .check();
        await dialog.getByRole('button', { name: 'Copy' }).click();
        await expect(url).toHaveValue(/\?token=csl_/);
        const revokes = dialog.getByRole('button', { name: /^Revoke (?!all)/ });
        await expect(revokes).toHaveCount(LINKS.length + 1);
        await expect(dialog.getByText('Making the link')).toHaveCount(0);

        // The URL, Revoke all and Close are on screen together; the body as a
        // whole does not scroll (only the list of links may).
        const revokeAll = dialog.getByRole('button', { name: 'Revoke all' });
        const close = dialog.getByRole('button', { name: 'Close' });
        for (const control of [url, revokeAll, close]) {
          await expect(control).toBeInViewport({ ratio: 1 });
        }
        const body = dialog.locator('.jp-Dialog-body');
        expect(
          await body.evaluate(node => node.scrollHeight - node.clientHeight)
        ).toBeLessThanOrEqual(1);
        await screenshot(
          page,
          `share-dialog-${width}x${height}-${theme}.png`,
          width === 1024 && theme === 'dark'
        );

        // Tab reaches every control in order, each link's Revoke by its own
        // name and in view when it has the focus.
        const names = await revokes.evaluateAll(buttons =>
          buttons.map(button => button.getAttribute('aria-label'))
        );
        expect(names).toEqual(
          expect.arrayContaining(LINKS.map(([, label]) => `Revoke ${label}`))
        );
        await url.focus();
        const visited: string[] = [];
        for (let step = 0; step < 30; step++) {
          const name = await focusedName(page);
          visited.push(name);
          await expect(page.locator(':focus')).toBeInViewport();
          if (name === 'Close') {
            break;
          }
          await page.keyboard.press('Tab');
        }
        expect(visited).toEqual([
          'Session URL',
          'Copy',
          'Include the token in the URL',
          'Shares',
          'Permission',
          'Expires after',
          'Label',
          `Active links (${LINKS.length + 1})`,
          ...names.flatMap(name => [
            name!.replace(/^Revoke /, 'Activity of '),
            name
          ]),
          'Revoke all',
          'Close'
        ]);
      });
    }
  }

  test('says why when share links cannot work on this server', async ({
    page
  }) => {
    const reason =
      'This server asks nobody to log in, so a share link could not be limited.';
    await page.route(/\/api\/capella-share\/info/, async route => {
      const response = await route.fetch();
      const info = await response.json();
      await route.fulfill({
        response,
        json: { ...info, links_unavailable: reason }
      });
    });
    await page.goto();
    await page
      .locator('#jp-top-bar')
      .getByRole('button', { name: 'Share' })
      .click();
    const dialog = page.locator('.jp-Dialog');
    const notice = dialog.getByRole('note');
    await expect(notice).toContainText(
      'Share links cannot work on this server.'
    );
    await expect(notice).toContainText(reason);
    await expect(
      dialog.getByRole('checkbox', { name: 'Include the token in the URL' })
    ).toHaveCount(0);
    // The plain session URL is still there to copy.
    await expect(
      dialog.getByRole('textbox', { name: 'Session URL' })
    ).not.toHaveValue(/token=/);
  });
});
