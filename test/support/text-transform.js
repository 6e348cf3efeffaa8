// Shell scripts are imported as text, as esbuild's text loader does in the bundles. The file is
// read again here: jest strips a leading #! line from the source it hands a transformer, and a
// user data script without its shebang is not run by cloud-init.
const { readFileSync } = require('node:fs');

module.exports = {
  process(_source, filename) {
    const text = readFileSync(filename, 'utf8');
    return { code: `module.exports = ${JSON.stringify(text)}; module.exports.default = module.exports;` };
  },
  getCacheKey(_source, filename) {
    return `${filename}:${readFileSync(filename, 'utf8')}`;
  },
};
