#!/usr/bin/env node
// The `lifecycle` command. TypeScript sources run through tsx, so there is no build step to forget.
// The SDK's notice about Node.js 22 concerns its future releases; the versions pinned here run on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('../src/cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
