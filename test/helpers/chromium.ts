/**
 * Where a Chromium/Chrome binary is, for the headless-browser tests (the report's charts, the
 * Temporal UI screenshots): CHROMIUM_PATH, else the usual names on PATH; null when none.
 */
import fs from 'node:fs';
import path from 'node:path';

export function findChromium(label: string): string | null {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit && fs.existsSync(explicit)) return explicit;
  if (explicit) console.warn(`[${label}] CHROMIUM_PATH=${explicit} does not exist; looking on PATH`);
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      if (!dir) continue;
      const p = path.join(dir, name);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  return null;
}
