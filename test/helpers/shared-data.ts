/**
 * Where the shared recorded-outcome sets live: `../shared/data` beside the project root (see
 * DESIGN.md). They are read where they lie, never copied into the project.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Absolute path of a file or folder under ../shared/data. */
export function sharedDataPath(...parts: string[]): string {
  return path.resolve(__dirname, '../../../shared/data', ...parts);
}

/** Whether the shared data folder is present (CI always has it). */
export function hasSharedData(): boolean {
  return existsSync(sharedDataPath('README.md'));
}
