// Build step of the Dockerfile: bundle the compiled workflows once, into the image, so a worker
// starts without running webpack (`cascade worker --workflow-bundle dist/workflow-bundle.js`).
// The bundle is made from the same dist/ the image ships, so it cannot differ from it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { bundleWorkflowCode } = require('@temporalio/worker');

const root = path.resolve(__dirname, '../..');
const out = path.resolve(root, process.argv[2] || 'dist/workflow-bundle.js');

bundleWorkflowCode({ workflowsPath: require.resolve(path.join(root, 'dist/workflows')) }).then(
  ({ code }) => {
    fs.writeFileSync(out, code);
    process.stdout.write(`workflow bundle: ${out} (${code.length} bytes)\n`);
  },
  (err) => {
    process.stderr.write(`bundling the workflows failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
