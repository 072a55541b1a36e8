/**
 * A config that follows its file: operators flip a task's kill switch, override its model or
 * change its rollout by editing cascade.config.yaml, and new requests see it within seconds,
 * without a restart. A file that no longer validates is reported and ignored: the last good
 * config stays in force (a typo must not take routing down).
 */
import fs from 'node:fs';
import { ConfigError } from '../config/errors';
import { loadConfig, type LoadedConfig } from './load';

export interface ConfigWatcherOptions {
  /** How often the file's modification time is checked (polling survives editors' atomic renames). */
  intervalMs?: number;
  onReload?: (next: LoadedConfig, previous: LoadedConfig) => void;
  onError?: (err: Error) => void;
}

export class ConfigWatcher {
  private loaded: LoadedConfig;
  private readonly listener: (curr: fs.Stats, prev: fs.Stats) => void;

  constructor(
    readonly file: string,
    private readonly opts: ConfigWatcherOptions = {},
  ) {
    this.loaded = loadConfig(file); // the first load must succeed: fail fast at start
    this.listener = (curr, prev) => {
      if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size) this.reload();
    };
    fs.watchFile(file, { interval: opts.intervalMs ?? 1_000, persistent: false }, this.listener);
  }

  /** The config in force now. */
  current(): LoadedConfig {
    return this.loaded;
  }

  /** Re-reads the file now; returns whether a new version took effect. */
  reload(): boolean {
    try {
      const next = loadConfig(this.file);
      if (next.version === this.loaded.version) return false;
      const previous = this.loaded;
      this.loaded = next;
      this.opts.onReload?.(next, previous);
      return true;
    } catch (err) {
      const e = err instanceof ConfigError ? err : new Error(String(err));
      (this.opts.onError ?? ((x: Error) => console.error(`config reload ignored: ${x.message}`)))(e);
      return false;
    }
  }

  close(): void {
    fs.unwatchFile(this.file, this.listener);
  }
}
