// The outcome ledger (docs/ledger.md).
export { openLedger, parseLedgerUrl, type OpenLedgerOptions, type LedgerTarget } from './open';
export { SqliteLedger, type SqliteLedgerOptions } from './sqlite';
export { PostgresLedger, type PostgresLedgerOptions } from './postgres';
export { MIGRATIONS, LATEST_VERSION, LedgerSchemaError, type Migration } from './migrations';
export { outcomeFromTrace, type RecordMeta } from './outcome';
export { promptHash } from './prompt-hash';
export { monthStartUtc, checkSpendCap, spendCapMessage, type SpendCapBreach } from './spend-cap';
export * from './types';
