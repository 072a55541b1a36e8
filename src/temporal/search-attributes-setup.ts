/**
 * Registering and checking the Contracts' search attributes on a namespace.
 * `cascade setup` registers them (idempotent: only the missing ones are added); the worker
 * checks them at start and refuses to run with a clear error naming what is missing, rather
 * than failing workflow tasks one by one later.
 */
import { type Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from './workflows/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/** The SDK's type names ('KEYWORD', 'BOOL', ...) as the server's enum. */
function toIndexedValueType(type: string): temporal.api.enums.v1.IndexedValueType {
  const v = (IndexedValueType as unknown as Record<string, number>)[`INDEXED_VALUE_TYPE_${type}`];
  if (v === undefined) throw new Error(`unknown search attribute type ${type}`);
  return v;
}

function typeName(v: number): string {
  const name = (IndexedValueType as unknown as Record<number, string>)[v] ?? String(v);
  return name.replace('INDEXED_VALUE_TYPE_', '');
}

export interface SearchAttributeStatus {
  missing: { name: string; type: string }[];
  wrongType: { name: string; expected: string; actual: string }[];
}

export async function checkSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<SearchAttributeStatus> {
  const res = await connection.operatorService.listSearchAttributes({ namespace });
  const existing: Record<string, number> = { ...(res.customAttributes ?? {}) } as Record<string, number>;
  const status: SearchAttributeStatus = { missing: [], wrongType: [] };
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    const actual = existing[key.name];
    if (actual === undefined) status.missing.push({ name: key.name, type: key.type });
    else if (actual !== toIndexedValueType(key.type)) {
      status.wrongType.push({ name: key.name, expected: key.type, actual: typeName(actual) });
    }
  }
  return status;
}

/** Adds the missing attributes; returns the names it added. Conflicting types are an error. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const status = await checkSearchAttributes(connection, namespace);
  if (status.wrongType.length > 0) throw new Error(describeProblems(namespace, status));
  if (status.missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(status.missing.map((m) => [m.name, toIndexedValueType(m.type)])),
  });
  return status.missing.map((m) => m.name);
}

export function describeProblems(namespace: string, status: SearchAttributeStatus): string {
  const lines = [`Namespace "${namespace}" is not set up for cascade-router:`];
  for (const m of status.missing) lines.push(`  missing search attribute ${m.name} (${m.type})`);
  for (const w of status.wrongType) {
    lines.push(
      `  search attribute ${w.name} is ${w.actual}, expected ${w.expected} (remove it, then run setup again)`,
    );
  }
  lines.push(`Run \`npx cascade setup --namespace ${namespace}\` to register them.`);
  return lines.join('\n');
}

/** Throws with every problem listed when the namespace lacks any attribute (used by the worker at start). */
export async function assertSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const status = await checkSearchAttributes(connection, namespace);
  if (status.missing.length || status.wrongType.length) throw new Error(describeProblems(namespace, status));
}
