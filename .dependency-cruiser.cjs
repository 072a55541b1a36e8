// @ts-check
/**
 * The import graph, one-directional (issue #19): `npm run deps` (part of `npm run lint`) and
 * test/unit/import-graph.test.ts check it.
 *
 * 1. No circular imports anywhere in src/, workflows/, activities/, bench/ (type-only imports
 *    count: a circle of types is still a circle).
 * 2. Layers, lowest first. A module may import its own layer and the layers below it, never one
 *    above it. One rule per layer, `no-up-from-<layer>`, forbids the layers above it.
 *
 * src/config is two layers: the config's shape (schema.ts, monitors-schema.ts, errors.ts), which
 * almost everything imports, sits low; loading a config file (load.ts, validate.ts, watch.ts) reads
 * and verifies the tasks' calibration artefacts (src/calibration/artefact-file.ts) and compiles
 * their response schemas (src/router/json-schema.ts), so it sits above src/calibration.
 *
 * No exceptions are kept: a new violation fails `npm run lint` and the test until it is fixed.
 */

/** @type {[name: string, path: string][]} lowest first; `path` matches exactly that layer's files */
const layers = [
  ['version', '^src/version\\.ts$'],
  ['env', '^src/env\\.ts$'],
  ['config-schema', '^src/config/(?!(?:load|validate|watch)\\.ts$)'],
  ['codec', '^src/codec/'],
  ['providers', '^src/providers/'],
  ['router', '^src/router/'],
  ['synthetic', '^src/synthetic/'],
  ['ledger', '^src/ledger/'],
  ['recorded', '^src/recorded/'],
  ['calibration', '^src/calibration/'],
  ['config-load', '^src/config/(?:load|validate|watch)\\.ts$'],
  ['monitors', '^src/monitors/'],
  ['report', '^src/report/'],
  ['telemetry', '^src/telemetry/'],
  ['activities', '^activities/'],
  ['workflows', '^workflows/'],
  ['control', '^src/control/'],
  ['temporal', '^src/temporal/'],
  ['client', '^src/client/'],
  ['worker', '^src/worker\\.ts$'],
  ['gateway', '^src/gateway/'],
  ['profile', '^src/profile/'],
  ['demo', '^src/demo/'],
  ['index', '^src/index\\.ts$'],
  ['loadtest', '^src/loadtest/'],
  ['cluster', '^src/cluster/'],
  ['advise', '^src/advise/'],
  ['bench', '^bench/'],
  ['cli', '^src/cli/'],
];

/** @type {import('dependency-cruiser', { with: { 'resolution-mode': 'import' } }).IForbiddenRuleType[]} */
const layerRules = layers.slice(0, -1).map(([name, path], i) => {
  const above = layers.slice(i + 1);
  return {
    name: `no-up-from-${name}`,
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
      from: { path: '^(?:src|workflows|activities|bench)/' },
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
