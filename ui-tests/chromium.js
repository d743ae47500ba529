/**
 * How every browser of ours is started: Debian's chromium (no test tool may
 * download a browser of its own here), headless, as root, on a closed network.
 * Used by playwright.config.js and by bench/lab_load.js.
 */
module.exports = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync'
  ]
};
