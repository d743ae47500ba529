/**
 * Galata's Playwright configuration, on Debian's chromium, with the owner
 * authenticated by a token header (the server runs with authentication on).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.CAPELLA_UI_PORT || '8888';
const ownerToken =
  process.env.CAPELLA_UI_OWNER_TOKEN || 'capella-ui-owner-token';

module.exports = {
  ...baseConfig,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${port}`,
    extraHTTPHeaders: { Authorization: `token ${ownerToken}` },
    video: 'off',
    trace: 'off',
    launchOptions: require('./chromium')
  },
  webServer: {
    command: 'jlpm start',
    url: `http://127.0.0.1:${port}/api/status?token=${ownerToken}`,
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI
  }
};
