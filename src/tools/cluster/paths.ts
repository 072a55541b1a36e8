/**
 * Where the project's files are, from this module's location: src/tools/cluster/ under tsx, and
 * dist/src/tools/cluster/ once compiled, so the root is found by walking up to the package.json
 * rather than by a fixed number of `..`.
 */
import fs from 'node:fs';
import path from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'deploy'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no project root above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(__dirname);
/** deploy/temporal: the server config, its dynamic config and the one-shot scripts. */
export const DEPLOY_TEMPORAL_DIR = path.join(PROJECT_ROOT, 'deploy', 'temporal');
export const SERVER_CONFIG_DIR = path.join(DEPLOY_TEMPORAL_DIR, 'config');
export const DYNAMIC_CONFIG_FILE = path.join(DEPLOY_TEMPORAL_DIR, 'dynamicconfig', 'production-sql.yaml');
export const CASCADE_BIN = path.join(PROJECT_ROOT, 'bin', 'cascade.js');
