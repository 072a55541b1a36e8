import type { Command } from 'commander';
import { readEnv } from '../../env';
import { registerSearchAttributes } from '../../temporal/search-attributes-setup';
import { ALL_SEARCH_ATTRIBUTES } from '../../temporal/workflows/search-attributes';
import { connectForCli } from '../connect';
import { CliError, EXIT } from '../errors';
import { nonEmptyArg } from '../args';

/** `cascade setup`: register the Contracts' search attributes on a namespace (idempotent). */
export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('Register cascade-router search attributes on a Temporal namespace (safe to run again)')
    .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)')
    .option('--namespace <name>', 'namespace (default: $TEMPORAL_NAMESPACE or default)', nonEmptyArg)
    .option('--json', 'print one JSON document')
    .action(async (opts: { address?: string; namespace?: string; json?: boolean }) => {
      const env = readEnv();
      const address = opts.address ?? env.temporalAddress;
      const namespace = opts.namespace ?? env.temporalNamespace;
      const connection = await connectForCli(address);
      try {
        const added = await registerSearchAttributes(connection, namespace);
        const all = ALL_SEARCH_ATTRIBUTES.map((k) => `${k.name}:${k.type}`);
        if (opts.json)
          process.stdout.write(JSON.stringify({ namespace, added, searchAttributes: all }) + '\n');
        else if (added.length) process.stdout.write(`Registered on "${namespace}": ${added.join(', ')}\n`);
        else
          process.stdout.write(
            `Namespace "${namespace}" already has every search attribute (${all.length}).\n`,
          );
      } catch (err) {
        throw new CliError((err as Error).message, EXIT.config);
      } finally {
        await connection.close();
      }
    });
}
