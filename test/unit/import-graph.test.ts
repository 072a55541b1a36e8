/**
 * The import graph is one-directional (issue #19): no circular imports in src/ or bench/, and no
 * import from a lower layer up to a higher one. The rules are
 * .dependency-cruiser.cjs; this is the cruise `npm run deps` runs, through dependency-cruiser's
 * API.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

describe('import graph', () => {
  it('has no circles and no imports up the layers', { timeout: 120_000 }, async () => {
    // dependency-cruiser is ESM only: imported, not required.
    const { cruise } = await import('dependency-cruiser');
    const { default: extractDepcruiseOptions } =
      await import('dependency-cruiser/config-utl/extract-depcruise-options');
    const { default: extractTSConfig } = await import('dependency-cruiser/config-utl/extract-ts-config');

    const options = await extractDepcruiseOptions(path.join(ROOT, '.dependency-cruiser.cjs'));
    const result = await cruise(['src', 'bench'], { ...options, baseDir: ROOT }, undefined, {
      tsConfig: extractTSConfig(path.join(ROOT, 'tsconfig.json')),
    });
    const output = result.output;
    if (typeof output === 'string') throw new Error('expected the cruise result, not a report');

    expect(output.summary.totalCruised).toBeGreaterThan(200);
    const violations = output.summary.violations
      .filter((v) => v.rule.severity !== 'ignore')
      .map((v) => {
        const via = v.cycle?.length
          ? ` (circle: ${[v.from, ...v.cycle.map((c) => c.name)].join(' -> ')})`
          : '';
        return `${v.from} -> ${v.to}: ${v.rule.name}${via}`;
      });
    expect(violations, `import-graph violations:\n${violations.join('\n')}`).toEqual([]);
  });
});
