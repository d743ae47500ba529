import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext, Page, Request } from '@playwright/test';

import { makeLink, openGuest } from './guests';

test.use({ autoGoto: false });

/**
 * The Share dialog as a newcomer uses it, by mouse and by keyboard: each
 * control does what it says at once, and no link is made that is not handed out.
 */

interface IListedLink {
  id: string;
  label: string;
  permission: string;
}

async function listedLinks(request: APIRequestContext): Promise<IListedLink[]> {
  const response = await request.get('api/capella-share/links');
  return (await response.json()).links;
}

async function clipboard(page: Page): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText());
}

/** The id of the link whose token ``url`` carries (csl_<id>_<secret>). */
function linkIdOf(url: string): string {
  const token = new URL(url).searchParams.get('token') ?? '';
  return token.split('_')[1] ?? '';
}

/** What a guest holding ``url`` gets: the link's Lab page, or a refusal. */
async function guestStatus(url: string): Promise<number> {
  // none of the owner's headers or cookies: a guest has the link and nothing else
  const response = await fetch(url, { redirect: 'manual' });
  return response.status;
}

async function openDialog(page: IJupyterLabPageFixture) {
  await page
    .locator('#jp-top-bar')
    .getByRole('button', { name: 'Share' })
    .click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.getByText('Share this session')).toBeVisible();
  return dialog;
}

/** The accessible name of whatever has the keyboard focus. */
async function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLInputElement | null;
    if (!element || element === document.body) {
      return '(body)';
    }
    return (
      element.getAttribute('aria-label') ||
      element.labels?.[0]?.textContent ||
      element.textContent ||
      ''
    ).trim();
  });
}

/** Whether the focused control shows a focus ring (an outline or a shadow). */
async function focusRing(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement;
    const style = getComputedStyle(element);
    const outline =
      style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1;
    const shadow = style.boxShadow !== 'none';
    return outline
      ? `outline ${style.outlineWidth} ${style.outlineColor}`
      : shadow
        ? `shadow ${style.boxShadow}`
        : 'none';
  });
}

test.describe('the Share dialog, by mouse', () => {
  test.beforeEach(async ({ page, request }) => {
    await request.delete('api/capella-share/links');
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write']);
  });

  test.afterAll(async ({ request }) => {
    await request.delete('api/capella-share/links');
  });

  test('Revoke all asks and revokes while the dialog stays open', async ({
    page,
    request
  }) => {
    await makeLink(request, 'view', 'Review team');
    await makeLink(request, 'edit', 'Modelling crew');
    await page.goto();
    const dialog = await openDialog(page);
    await expect(dialog.locator('tbody tr')).toHaveCount(2);

    await dialog.getByRole('button', { name: 'Revoke all' }).click();
    const confirm = dialog.getByRole('group', { name: 'Revoke all links?' });
    await expect(confirm).toContainText('Everyone who came in through a link');
    // Asked inside this dialog: nothing waits for it to close.
    await expect(page.locator('.jp-Dialog')).toHaveCount(1);
    const sent = page.waitForRequest(
      (r: Request) =>
        r.method() === 'DELETE' &&
        /api\/capella-share\/links(\?|$)/.test(r.url()),
      { timeout: 5000 }
    );
    await confirm.getByRole('button', { name: 'Yes, revoke all' }).click();
    await sent;
    await expect(dialog.getByText('No active links.')).toBeVisible();
    await expect(dialog).toBeVisible();
    expect(await listedLinks(request)).toEqual([]);

    // Cancel withdraws the question and revokes nothing.
    await makeLink(request, 'view', 'Steering committee');
    await expect(dialog.locator('tbody tr')).toHaveCount(1, { timeout: 10000 });
    await dialog.getByRole('button', { name: 'Revoke all' }).click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(confirm).toHaveCount(0);
    expect(await listedLinks(request)).toHaveLength(1);
  });

  test('Copy right after typing a label copies a live link with that label', async ({
    page,
    request
  }) => {
    await page.goto();
    const dialog = await openDialog(page);
    await dialog
      .getByRole('checkbox', { name: 'Include the token in the URL' })
      .check();
    const label = dialog.getByLabel('Label', { exact: true });
    for (const name of ['Review team', 'Steering committee', 'Thermal crew']) {
      // typed, then Copy at once: the field is never left by Tab
      await label.fill(name);
      await dialog.getByRole('button', { name: 'Copy' }).click();
      const field = dialog.getByLabel('Session URL');
      await expect(field).toHaveValue(/token=csl_/);
      await expect.poll(() => clipboard(page)).toBe(await field.inputValue());
      const copied = await clipboard(page);
      expect(copied).toContain('?token=csl_');
      const link = (await listedLinks(request)).find(
        l => l.id === linkIdOf(copied)
      );
      expect(link?.label).toBe(name);
      expect(await guestStatus(copied)).toBe(200);
    }
    // every link copied stays: each may have been sent to someone
    expect((await listedLinks(request)).map(l => l.label).sort()).toEqual([
      'Review team',
      'Steering committee',
      'Thermal crew'
    ]);
  });

  test('a link already copied stays when a choice changes', async ({
    page,
    request
  }) => {
    await page.goto();
    const dialog = await openDialog(page);
    await dialog
      .getByRole('checkbox', { name: 'Include the token in the URL' })
      .check();
    const copy = dialog.getByRole('button', { name: 'Copy' });
    await copy.click();
    const field = dialog.getByLabel('Session URL');
    await expect(field).toHaveValue(/token=csl_/);
    await expect.poll(() => clipboard(page)).toBe(await field.inputValue());
    const view = await clipboard(page);

    await dialog.getByLabel('Permission').selectOption('edit');
    await expect(dialog.locator('tbody tr')).toHaveCount(1);
    await copy.click();
    await expect(dialog.locator('tbody tr')).toHaveCount(2);
    await expect(field).toHaveValue(/token=csl_/);
    await expect.poll(() => clipboard(page)).toBe(await field.inputValue());
    const edit = await clipboard(page);
    expect(edit).not.toBe(view);

    const links = await listedLinks(request);
    expect(links.map(l => [l.id, l.permission]).sort()).toEqual(
      [
        [linkIdOf(view), 'view'],
        [linkIdOf(edit), 'edit']
      ].sort()
    );
    expect(await guestStatus(view)).toBe(200);
    // and the dialog says so when a choice changes after a copy
    await dialog.getByLabel('Expires after').selectOption('3600');
    await expect(dialog.getByRole('status').first()).toContainText(
      'The link you copied stays active'
    );
    await dialog.getByLabel('Expires after').selectOption('28800');
    // Copy again without a change copies the same link, makes no other.
    await copy.click();
    expect(await clipboard(page)).toBe(edit);
    expect(await listedLinks(request)).toHaveLength(2);
  });

  test('closing the dialog leaves no link that was not copied', async ({
    page,
    request
  }) => {
    await page.goto();
    for (let round = 0; round < 2; round++) {
      const dialog = await openDialog(page);
      await dialog
        .getByRole('checkbox', { name: 'Include the token in the URL' })
        .check();
      await dialog.getByLabel('Expires after').selectOption('3600');
      await dialog.getByLabel('Label', { exact: true }).fill('Not sent');
      await dialog.getByRole('button', { name: 'Close' }).click();
      await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    }
    expect(await listedLinks(request)).toEqual([]);
    const dialog = await openDialog(page);
    await dialog
      .getByRole('checkbox', { name: 'Include the token in the URL' })
      .check();
    await expect(dialog.getByRole('status').first()).toContainText(
      'Nothing is made until you copy'
    );
  });
});

test.describe('the Share dialog, by keyboard', () => {
  test.beforeEach(async ({ page, request }) => {
    await request.delete('api/capella-share/links');
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write']);
  });

  test.afterAll(async ({ request }) => {
    await request.delete('api/capella-share/links');
  });

  test('the Share button is reached with Tab and opens with Enter', async ({
    page
  }) => {
    await page.goto();
    await expect(
      page.locator('#jp-top-bar').getByRole('button', { name: 'Share' })
    ).toBeVisible();
    // From the page's first stop (the skip link), Tab alone reaches Share.
    await page.keyboard.press('Tab');
    const visited: string[] = [];
    for (let step = 0; step < 40; step++) {
      const name = await focusedName(page);
      visited.push(name);
      if (name === 'Share') {
        break;
      }
      await page.keyboard.press('Tab');
    }
    expect(visited).toContain('Share');
    await page.keyboard.press('Enter');
    await expect(page.locator('.jp-Dialog')).toContainText(
      'Share this session'
    );
  });

  test('a guest is offered no Share button', async ({ browser, request }) => {
    const link = await makeLink(request, 'full', 'Integration lead');
    const guest = await openGuest(browser, link.url);
    await expect(guest.locator('.jp-CapellaShare-guestBadge')).toBeVisible();
    await expect(
      guest.locator('#jp-top-bar').getByRole('button', { name: 'Share' })
    ).toHaveCount(0);
    await expect(guest.locator('.jp-CapellaShare-button')).toBeHidden();
    await guest.context().close();
  });

  for (const theme of ['light', 'dark']) {
    test(`Tab goes round every control, each with a focus ring (${theme})`, async ({
      page,
      request
    }) => {
      await makeLink(request, 'view', 'Review team');
      await makeLink(request, 'edit', 'Modelling crew');
      await page.goto();
      if (theme === 'dark') {
        await page.theme.setDarkTheme();
      }
      await page.keyboard.press('Control+Shift+C');
      await page.keyboard.type('Share');
      await page.keyboard.press('Enter');
      const dialog = page.locator('.jp-Dialog');
      await expect(dialog.getByText('Share this session')).toBeVisible();
      await expect(dialog.locator('tbody tr')).toHaveCount(2);

      // The dialog opens on Copy, not on Close.
      await expect.poll(() => focusedName(page)).toBe('Copy');
      // Space ticks the box; Tab goes through every control, round.
      await page.keyboard.press('Tab');
      expect(await focusedName(page)).toBe('Include the token in the URL');
      await page.keyboard.press('Space');
      await expect(dialog.getByLabel('Permission')).toBeVisible();
      const order = [
        'Shares',
        'Permission',
        'Expires after',
        'Label',
        'Active links (2)',
        'Activity of Review team',
        'Revoke Review team',
        'Activity of Modelling crew',
        'Revoke Modelling crew',
        'Revoke all',
        'Close',
        'Session URL',
        'Copy',
        'Include the token in the URL'
      ];
      const visited: string[] = [];
      const rings: Record<string, string> = {};
      for (const _ of order) {
        await page.keyboard.press('Tab');
        const name = await focusedName(page);
        visited.push(name);
        rings[name] = await focusRing(page);
      }
      expect(visited).toEqual(order);
      for (const name of order) {
        expect(rings[name], `the focus ring of ${name}`).not.toBe('none');
      }
      // Shift+Tab goes back round the other way.
      const back: string[] = [];
      for (let step = 0; step < 4; step++) {
        await page.keyboard.press('Shift+Tab');
        back.push(await focusedName(page));
      }
      expect(back).toEqual(['Copy', 'Session URL', 'Close', 'Revoke all']);
    });
  }

  test('Enter in the Label field copies a labelled link and keeps the dialog', async ({
    page,
    request
  }) => {
    await page.goto();
    await page.keyboard.press('Control+Shift+C');
    await page.keyboard.type('Share');
    await page.keyboard.press('Enter');
    const dialog = page.locator('.jp-Dialog');
    await expect.poll(() => focusedName(page)).toBe('Copy');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    for (let step = 0; step < 4; step++) {
      await page.keyboard.press('Tab');
    }
    expect(await focusedName(page)).toBe('Label');
    await page.keyboard.type('Review team');
    await page.keyboard.press('Enter');
    await expect(dialog.locator('tr', { hasText: 'Review team' })).toHaveCount(
      1
    );
    await expect(dialog).toBeVisible();
    await expect.poll(() => clipboard(page)).toContain('token=csl_');
    const copied = await clipboard(page);
    const links = await listedLinks(request);
    expect(links.map(l => [l.id, l.label])).toEqual([
      [linkIdOf(copied), 'Review team']
    ]);
    // the focus stays in the field
    expect(await focusedName(page)).toBe('Label');
  });

  test('after Enter on a Revoke the focus moves to the next link', async ({
    page,
    request
  }) => {
    await makeLink(request, 'view', 'Review team');
    await makeLink(request, 'edit', 'Modelling crew');
    await page.goto();
    await page.keyboard.press('Control+Shift+C');
    await page.keyboard.type('Share');
    await page.keyboard.press('Enter');
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('tbody tr')).toHaveCount(2);
    await expect.poll(() => focusedName(page)).toBe('Copy');
    for (let step = 0; step < 4; step++) {
      await page.keyboard.press('Tab');
    }
    expect(await focusedName(page)).toBe('Revoke Review team');
    await page.keyboard.press('Enter');
    await expect(dialog.locator('tbody tr')).toHaveCount(1);
    await expect.poll(() => focusedName(page)).toBe('Revoke Modelling crew');
    await page.keyboard.press('Enter');
    await expect(dialog.getByText('No active links.')).toBeVisible();
    // nothing left to revoke: the focus is back on Copy, not on the page
    await expect.poll(() => focusedName(page)).toBe('Copy');
    expect(await listedLinks(request)).toEqual([]);
  });

  test('Revoke all by keyboard: asked on Cancel, Escape cancels', async ({
    page,
    request
  }) => {
    await makeLink(request, 'view', 'Review team');
    await page.goto();
    await page.keyboard.press('Control+Shift+C');
    await page.keyboard.type('Share');
    await page.keyboard.press('Enter');
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('tbody tr')).toHaveCount(1);
    await expect.poll(() => focusedName(page)).toBe('Copy');
    for (let step = 0; step < 5; step++) {
      await page.keyboard.press('Tab');
    }
    expect(await focusedName(page)).toBe('Revoke all');
    await page.keyboard.press('Enter');
    // the safe choice has the focus; Escape withdraws the question only
    await expect.poll(() => focusedName(page)).toBe('Cancel');
    await page.keyboard.press('Escape');
    await expect(
      dialog.getByRole('group', { name: 'Revoke all links?' })
    ).toHaveCount(0);
    await expect(dialog).toBeVisible();
    expect(await focusedName(page)).toBe('Revoke all');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Yes, revoke all');
    await page.keyboard.press('Enter');
    await expect(dialog.getByText('No active links.')).toBeVisible();
    expect(await listedLinks(request)).toEqual([]);
  });
});
