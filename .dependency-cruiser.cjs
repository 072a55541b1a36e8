// @ts-check
/**
 * The import graph, one-directional (issue #19; docs/architecture.md, "Layout"): `npm run deps`
 * (part of `npm run lint`) and test/unit/import-graph.test.ts check it.
 *
 * 1. No circular imports anywhere in src/ or bench/ (type-only imports count: a circle of types
 *    is still a circle).
 * 2. Layers, lowest first. A module may import its own layer and the layers below it, never one
 *    above it. One rule per layer, `no-up-from-<layer>`, forbids the layers above it. The top-level
 *    folders are in the same order as a whole: request/ (what a request needs), watch/ (is routing
 *    paying), temporal/ (workflows, activities, the worker), doors/ (client, gateway), then the
 *    package's entry point, tools/ (offline and operator tools), bench/, cli/.
 *
 * The config is two folders: its shape (src/request/config/), which almost everything imports,
 * sits low; loading a config file (src/request/config-file/) reads and verifies the tasks'
 * calibration artefacts and compiles their response schemas with the router's code, so it sits
 * above src/request/router/.
 *
 * No exceptions are kept: a new violation fails `npm run lint` and the test until it is fixed.
 */

/** @type {[name: string, path: string][]} lowest first; `path` matches exactly that layer's files */
const layers = [
  ['version', '^src/version\\.ts$'],
  ['env', '^src/env\\.ts$'],
  ['request/config', '^src/request/config/'],
  ['request/codec', '^src/request/codec/'],
  ['request/providers', '^src/request/providers/'],
  ['request/router', '^src/request/router/'],
  ['request/ledger', '^src/request/ledger/'],
  ['request/config-file', '^src/request/config-file/'],
  ['watch/monitors', '^src/watch/monitors/'],
  ['watch/report', '^src/watch/report/'],
  ['watch/telemetry', '^src/watch/telemetry/'],
  ['temporal/activities', '^src/temporal/activities/'],
  ['temporal/workflows', '^src/temporal/workflows/'],
  ['temporal', '^src/temporal/(?!worker\\.ts$)[^/]+\\.ts$'],
  ['temporal/worker', '^src/temporal/worker\\.ts$'],
  ['doors/client', '^src/doors/client/'],
  ['doors/gateway', '^src/doors/gateway/'],
  ['tools/recorded-models', '^src/tools/recorded-models/'],
  ['tools/calibrate', '^src/tools/calibrate/'],
  ['tools/profile', '^src/tools/profile/'],
  ['tools/demo', '^src/tools/demo/'],
  ['tools/loadtest', '^src/tools/loadtest/'],
  ['tools/cluster', '^src/tools/cluster/'],
  ['tools/advise', '^src/tools/advise/'],
  ['tools/synthetic-data', '^src/tools/synthetic-data/'],
  ['index', '^src/index\\.ts$'],
  ['bench', '^bench/'],
  ['cli', '^src/cli/'],
];

/** @type {import('dependency-cruiser', { with: { 'resolution-mode': 'import' } }).IForbiddenRuleType[]} */
const layerRules = layers.slice(0, -1).map(([name, path], i) => {
  const above = layers.slice(i + 1);
  return {
    name: `no-up-from-${name.replace('/', '-')}`,
    comment:
      `${name} (${path}) is below ${above.map(([n]) => n).join(', ')}: it must not import them. ` +
      'Move what both need down a layer, or pass it in from above.',
    severity: 'error',
    from: { path },
    to: { path: above.map(([, p]) => `(?:${p})`).join('|') },
  };
});

/** @type {import('dependency-cruiser', { with: { 'resolution-mode': 'import' } }).IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'A module must not import itself through others: break the circle (a type moves to its own file, a shared piece moves down).',
      severity: 'error',
      from: { path: '^(?:src|bench)/' },
      to: { circular: true },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(?:node_modules|dist)/' },
    // Type-only imports are edges too (a type from a higher layer is still a back-reference).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
