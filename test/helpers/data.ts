/**
 * The data shipped with the project, under data/: the synthetic sets (data/synthetic, made by
 * src/tools/synthetic-data/generate.ts, in the row shape of ../shared/data) and the Apache-2.0 recorded
 * sets (data/routellm, data/llmdrift). Tests of code paths read these, so they run on any clone;
 * only the measurements of test/shared/ need ../shared/data (test/helpers/shared-data.ts).
 */
import path from 'node:path';

export const SHIPPED_DATA = path.resolve(__dirname, '../../data');

/** Absolute path of a file or folder under data/, e.g. `shippedData('synthetic/mmlu_llama.jsonl')`. */
export function shippedData(...parts: string[]): string {
  return path.join(SHIPPED_DATA, ...parts);
}
