// Shell scripts are imported as text, as esbuild's text loader does in the bundles.
module.exports = {
  process(source) {
    return { code: `module.exports = ${JSON.stringify(source)}; module.exports.default = module.exports;` };
  },
};
