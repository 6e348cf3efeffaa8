/**
 * Puppeteer (used by @mermaid-js/mermaid-cli to render docs/*.png) never downloads a browser:
 * `npm ci` must work where only the package registries are reachable. npm run docs uses
 * Debian's Chromium (apt-get install chromium), named in scripts/puppeteer.json.
 */
module.exports = { skipDownload: true };
