#!/usr/bin/env node
// The `cascade` command. The TypeScript sources are compiled to dist/ by `npm install`
// (the `prepare` script) and by `npm start`; run `npm run build` after editing them.
'use strict';
let main;
try {
  ({ main } = require('../dist/src/cli/main.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('cascade: the compiled CLI is missing; run `npm run build` in the project first.\n');
    process.exit(2);
  }
  throw err;
}
main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`cascade: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  },
);
