import { ConfigError } from '../request/config/errors';
import { loadConfig, type LoadedConfig, type ValidateOptions } from '../request/config-file/load';
import { readEnv } from '../env';
import { CliError, EXIT } from './errors';

/** Loads the config a command was pointed at (--config, else CASCADE_CONFIG, else ./cascade.config.yaml). */
export function loadConfigForCli(
  file?: string,
  opts: Pick<ValidateOptions, 'calibrations'> = {},
): LoadedConfig {
  try {
    return loadConfig(file ?? readEnv().configPath, opts);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.config);
    throw err;
  }
}
