import { expect, test } from '@jupyterlab/galata';

test.use({ autoGoto: false });

test('the Lab extension shakes hands with the server extension', async ({
  page
}) => {
  const info = page.waitForResponse(
    response =>
      response.url().includes('/api/capella-share/info') &&
      response.request().method() === 'GET'
  );
  await page.goto();

  const response = await info;
  expect(response.status()).toBe(200);
  const body = await response.json();
  expect(body.mode).toBe('standalone');

  // The frontend marks the page once the versions matched.
  await expect(page.locator('body')).toHaveAttribute(
    'data-capella-share',
    body.version
  );
  // No "sharing is unavailable" notification was raised.
  await expect(page.getByText('Sharing is unavailable')).toHaveCount(0);
  // The owner sees the Share button at the right of the top bar.
  const share = page.locator('#jp-top-bar').getByRole('button', {
    name: 'Share'
  });
  await expect(share).toBeVisible();
  await page.screenshot({ path: 'test-results/extension-loaded.png' });
});
