/**
 * A real Temporal cluster on this machine, set up in the compose stack's order (docs/deploy.md):
 *
 *   PostgreSQL roles and databases -> schema (setup-schema.sh) -> server processes
 *     -> namespace (create-namespace.sh) -> the Contracts' search attributes (as `cascade setup`)
 *
 * plus the ledger's role and database beside Temporal's, on the same PostgreSQL. The database
 * names are parameters so a test can have its own on a shared PostgreSQL.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { registerSearchAttributes } from '../../temporal/search-attributes-setup';
import { createNamespace, setupSchema } from './deploy-scripts';
import {
  ensureRoleWithDatabases,
  newPassword,
  postgresTarget,
  roleUrl,
  type TemporalDatabases,
} from './postgres';
import type { ServerBinaries } from './server-build';
import { startTemporalServer, type RunningTemporalServer, type ServiceName } from './temporal-server';

export interface RealClusterOptions {
  binaries: ServerBinaries;
  /** The `temporal` CLI (create-namespace.sh runs it, as the admin-tools image does). */
  temporalCliPath: string;
  /** A role that may create roles and databases (a local cluster's superuser). A secret. */
  postgresAdminUrl: string;
  frontendPort: number;
  shards: number;
  namespace: string;
  /** Database names; default the compose stack's: temporal, temporal_visibility, cascade_ledger. */
  databases?: { temporal: string; visibility: string; ledger: string };
  /**
   * Role names; default the compose stack's: temporal, cascade. Two clusters on one PostgreSQL
   * (tests run in parallel) need their own: each start sets a new random password on its roles.
   */
  roles?: { temporal: string; cascade: string };
  processes?: ServiceName[][];
  /** The server's dynamic config file; default the compose stack's. */
  dynamicConfigFile?: string;
  logDir: string;
  log?: (line: string) => void;
}

export interface RealCluster {
  address: string;
  namespace: string;
  server: RunningTemporalServer;
  /** postgres:// URL of the ledger for the `cascade` role (a secret: pass it in environments only). */
  ledgerUrl: string;
  databases: { temporal: string; visibility: string; ledger: string };
  stop(): Promise<void>;
}

export const DEFAULT_DATABASES = {
  temporal: 'temporal',
  visibility: 'temporal_visibility',
  ledger: 'cascade_ledger',
} as const;

export async function startRealCluster(opts: RealClusterOptions): Promise<RealCluster> {
  const log = opts.log ?? (() => undefined);
  const dbs = opts.databases ?? { ...DEFAULT_DATABASES };
  const roles = opts.roles ?? { temporal: 'temporal', cascade: 'cascade' };
  const pg = postgresTarget(opts.postgresAdminUrl);
  const temporalPassword = newPassword();
  const cascadePassword = newPassword();

  log(
    `PostgreSQL ${pg.host}:${pg.port}: roles ${roles.temporal} and ${roles.cascade}, databases ${Object.values(dbs).join(', ')}`,
  );
  await ensureRoleWithDatabases(
    opts.postgresAdminUrl,
    { role: roles.temporal, databases: [dbs.temporal, dbs.visibility] },
    temporalPassword,
  );
  await ensureRoleWithDatabases(
    opts.postgresAdminUrl,
    { role: roles.cascade, databases: [dbs.ledger] },
    cascadePassword,
  );

  log('schema: deploy/temporal/scripts/setup-schema.sh');
  const databases: TemporalDatabases = {
    host: pg.host,
    port: pg.port,
    user: roles.temporal,
    password: temporalPassword,
    database: dbs.temporal,
    visibilityDatabase: dbs.visibility,
  };
  await setupSchema({
    toolDir: path.dirname(opts.binaries.sqlTool),
    schemaDir: opts.binaries.postgresSchemaDir,
    ...databases,
  });

  log(`server: ${opts.shards} history shards, frontend on 127.0.0.1:${opts.frontendPort}`);
  const server = await startTemporalServer({
    binaries: opts.binaries,
    frontendPort: opts.frontendPort,
    shards: opts.shards,
    postgres: databases,
    processes: opts.processes,
    dynamicConfigFile: opts.dynamicConfigFile,
    logDir: opts.logDir,
  });
  try {
    log(`namespace ${opts.namespace}: deploy/temporal/scripts/create-namespace.sh`);
    const said = await createNamespace({
      cliPath: opts.temporalCliPath,
      address: server.address,
      namespace: opts.namespace,
      retention: '720h',
    });
    if (said) log(`  ${said.split('\n').join('\n  ')}`);
    const connection = await Connection.connect({ address: server.address });
    try {
      const added = await registerSearchAttributes(connection, opts.namespace);
      log(`search attributes: ${added.length ? `registered ${added.join(', ')}` : 'all present'}`);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    address: server.address,
    namespace: opts.namespace,
    server,
    ledgerUrl: roleUrl(opts.postgresAdminUrl, roles.cascade, cascadePassword, dbs.ledger),
    databases: dbs,
    stop: () => server.stop(),
  };
}
