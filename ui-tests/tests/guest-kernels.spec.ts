import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext, Browser, Page } from '@playwright/test';

import { makeLink, notebookWith, openGuest } from './guests';

test.use({ autoGoto: false });

/**
 * A guest opening a notebook whose kernel the owner runs, where the server
 * refuses the guest that kernel's websocket: the guest's Lab opens none, and
 * shows the kernel as the owner's, running, not "Connecting" forever.
 */

const FOLDER = 'held-kernels-ui';
const NOTEBOOK = `${FOLDER}/running.ipynb`;

/** The owner opens the notebook in the Lab, which starts its kernel. */
async function ownerRuns(
  page: IJupyterLabPageFixture,
  request: APIRequestContext
): Promise<string> {
  await page.goto();
  await page.notebook.openByPath(NOTEBOOK);
  await expect
    .poll(
      async () => (await (await request.get('api/kernels')).json()).length,
      {
        timeout: 30000
      }
    )
    .toBe(1);
  const [kernel] = await (await request.get('api/kernels')).json();
  await expect
    .poll(
      async () =>
        (await (await request.get(`api/kernels/${kernel.id}`)).json())
          .execution_state,
      { timeout: 30000 }
    )
    .toBe('idle');
  return kernel.id;
}

/** Every kernel websocket ``page`` opens, from now on. */
function kernelSockets(page: Page): string[] {
  const opened: string[] = [];
  page.on('websocket', socket => {
    if (/\/api\/kernels\/[^/]+\/channels/.test(socket.url())) {
      opened.push(socket.url());
    }
  });
  return opened;
}

async function openInLab(guest: Page, path: string): Promise<void> {
  await guest.evaluate(async path => {
    await (window as any).jupyterapp.commands.execute('docmanager:open', {
      path
    });
  }, path);
}

test.describe('a kernel a guest may not connect to', () => {
  test.beforeEach(async ({ request }) => {
    await request.put(`api/contents/${FOLDER}`, {
      data: { type: 'directory' }
    });
    await request.put(`api/contents/${NOTEBOOK}`, {
      data: {
        type: 'notebook',
        format: 'json',
        content: notebookWith([{ id: 'c1', source: 'x = 1' }])
      }
    });
  });

  test.afterEach(async ({ request }) => {
    await request.delete('api/capella-share/links');
    for (const session of await (await request.get('api/sessions')).json()) {
      await request.delete(`api/sessions/${session.id}`);
    }
    await request.delete(`api/contents/${NOTEBOOK}`);
    await request.delete(`api/contents/${FOLDER}`);
  });

  test('a view guest sees the owner’s kernel running in the Lab, with no socket', async ({
    browser,
    page,
    request
  }) => {
    await ownerRuns(page, request);
    const link = await makeLink(request, 'view', 'Readers');
    const guest = await openGuest(browser, link.url);
    const sockets = kernelSockets(guest);
    await openInLab(guest, NOTEBOOK);
    await expect(guest.locator('.jp-Notebook .jp-Cell').first()).toContainText(
      'x = 1'
    );
    const status = guest.locator('.jp-StatusBar-Item', {
      hasText: 'Python 3 (ipykernel)'
    });
    await expect(status).toContainText('Idle', { timeout: 10000 });
    const badge = guest.locator('.jp-CapellaShare-heldKernel');
    await expect(badge).toHaveText('Owner’s kernel');
    await expect(badge).toHaveAttribute(
      'title',
      'This is a view-only link: it may not run kernels.'
    );
    // and it stays so: no socket tried, none retried, no "Connecting"
    await guest.waitForTimeout(6000);
    await expect(status).not.toContainText('Connecting');
    expect(sockets).toEqual([]);
    await guest.context().close();
  });

  test('a view guest sees the owner’s kernel running in Notebook 7, with no socket', async ({
    browser,
    page,
    request
  }) => {
    await ownerRuns(page, request);
    const link = await makeLink(request, 'view', 'Readers');
    const context = await browser.newContext({ extraHTTPHeaders: {} });
    const guest = await context.newPage();
    const sockets = kernelSockets(guest);
    await guest.goto(link.url.replace('/lab?', `/notebooks/${NOTEBOOK}?`));
    await guest.locator('#main-panel').waitFor();
    await expect(
      guest.locator('.jp-NotebookPanel .jp-Cell').first()
    ).toContainText('x = 1');
    await expect(guest.locator('.jp-CapellaShare-heldKernel')).toHaveText(
      'Owner’s kernel',
      { timeout: 10000 }
    );
    await guest.waitForTimeout(6000);
    await expect(guest.locator('#main-panel')).not.toContainText('Connecting');
    await expect(guest.getByText('No Kernel')).toHaveCount(0);
    expect(sockets).toEqual([]);
    await context.close();
  });

  test('an edit guest is told why the owner’s unconfined kernel is not for it', async ({
    browser,
    page,
    request
  }) => {
    const kernelId = await ownerRuns(page, request);
    const link = await makeLink(request, 'edit', 'Modellers');
    const reason =
      "This kernel runs with the owner's full access (outside the sandbox), so a guest may not run code in it. Start a kernel of your own, or ask the owner.";
    // The server says this of the owner's kernels when confine_owner_kernels
    // is off (tests/server/test_kernels_off.py); here its answer is given as such.
    const guest = await guestWithKernelsOff(browser, link.url, {
      refused: null,
      off: { [kernelId]: reason },
      ask: true
    });
    const sockets = kernelSockets(guest);
    await openInLab(guest, NOTEBOOK);
    await expect(guest.locator('.jp-CapellaShare-heldKernel')).toHaveAttribute(
      'title',
      reason,
      { timeout: 10000 }
    );
    // said in full above the notebook, where the guest would run code
    await expect(
      guest.getByRole('note').filter({ hasText: reason })
    ).toHaveText(reason);
    const status = guest.locator('.jp-StatusBar-Item', {
      hasText: 'Python 3 (ipykernel)'
    });
    await expect(status).toContainText('Idle');
    await guest.waitForTimeout(3000);
    expect(sockets).toEqual([]);
    await guest.context().close();
  });
});

/** A guest whose GET session says these kernels are off. */
async function guestWithKernelsOff(
  browser: Browser,
  url: string,
  kernels: unknown
): Promise<Page> {
  const context = await browser.newContext({ extraHTTPHeaders: {} });
  await context.route(/\/api\/capella-share\/session(\?|$)/, async route => {
    const response = await route.fetch();
    const session = await response.json();
    session.you.kernels = kernels;
    await route.fulfill({ response, json: session });
  });
  const guest = await context.newPage();
  await guest.goto(url);
  await guest.waitForSelector('.jp-LabShell');
  return guest;
}
