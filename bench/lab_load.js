/**
 * JupyterLab load times in Debian's chromium, driven by the Playwright that
 * ui-tests/ installs. Usage: node bench/lab_load.js '<json>' where the JSON is
 * {"urls": {"<name>": "<lab URL with ?token=>", ...}, "rounds": n}.
 * Each load is a fresh browser context (no cache, no cookies); the time is from
 * navigation start until JupyterLab says it is restored. The pages are loaded in
 * turn, round after round, after one warm-up load each. Prints JSON: name -> ms.
 */
const path = require('path');
const { chromium } = require(
  path.join(__dirname, '..', 'ui-tests', 'node_modules', 'playwright')
);

// started as in the UI tests
const launchOptions = require(
  path.join(__dirname, '..', 'ui-tests', 'chromium')
);

async function loadOnce(browser, url) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
    await page.waitForFunction(() => window.jupyterapp !== undefined, null, {
      timeout: 60000
    });
    return await page.evaluate(async () => {
      await window.jupyterapp.restored;
      return performance.now();
    });
  } finally {
    await context.close();
  }
}

async function main() {
  const { urls, rounds } = JSON.parse(process.argv[2]);
  const browser = await chromium.launch(launchOptions);
  const times = {};
  try {
    for (const [name, url] of Object.entries(urls)) {
      times[name] = [];
      await loadOnce(browser, url);
    }
    for (let round = 0; round < rounds; round++) {
      for (const [name, url] of Object.entries(urls)) {
        times[name].push(await loadOnce(browser, url));
      }
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(times) + '\n');
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
