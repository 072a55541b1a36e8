import { ConfigError } from '../config/errors';
import { loadConfig, type LoadedConfig } from '../config/load';
import { readEnv } from '../env';
import { CliError, EXIT } from './errors';

/** Loads the config a command was pointed at (--config, else CASCADE_CONFIG, else ./cascade.config.yaml). */
export function loadConfigForCli(file?: string): LoadedConfig {
  try {
    return loadConfig(file ?? readEnv().configPath);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.config);
    throw err;
  }
}
