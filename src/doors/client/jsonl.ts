/**
 * Reading a JSONL file of requests (Contracts, "Request"): one JSON value per line, blank lines
 * skipped, line numbers kept so every later complaint can point at `file:line`.
 *
 * Only JSON syntax is checked here. Whether a value is a valid request is the batch's business
 * (src/doors/client/batch.ts), which skips and reports invalid requests one by one. A line that is not
 * JSON at all is different: the file is not what it claims to be (a wrong file, a truncated or
 * interleaved write), so reading refuses the file whole, naming every such line.
 */
import fs from 'node:fs/promises';

export interface JsonlRow {
  /** 1-based line number in the file. */
  line: number;
  value: unknown;
}

export interface JsonlIssue {
  line: number;
  message: string;
}

/** A file with lines that are not JSON; the message names each as `file:line: problem`. */
export class JsonlError extends Error {
  constructor(
    readonly file: string,
    readonly issues: JsonlIssue[],
  ) {
    const shown = issues.slice(0, 20).map((i) => `  ${file}:${i.line}: ${i.message}`);
    if (issues.length > shown.length) shown.push(`  ... and ${issues.length - shown.length} more`);
    super(
      `${file}: ${issues.length} line${issues.length === 1 ? ' is' : 's are'} not valid JSON:\n` +
        shown.join('\n'),
    );
    this.name = 'JsonlError';
  }
}

/**
 * Parses JSONL text. Lines end with LF or CRLF; a leading byte-order mark is ignored; lines of
 * only whitespace are skipped. Walks the text in place (no array of all lines beside it).
 */
export function parseJsonl(text: string, file = '<input>'): JsonlRow[] {
  const rows: JsonlRow[] = [];
  const issues: JsonlIssue[] = [];
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    if (raw !== '') {
      try {
        rows.push({ line, value: JSON.parse(raw) as unknown });
      } catch (err) {
        issues.push({ line, message: (err as Error).message });
      }
    }
    start = end + 1;
  }
  if (issues.length > 0) throw new JsonlError(file, issues);
  return rows;
}

/** Reads and parses a JSONL file (throws JsonlError for non-JSON lines, fs errors as they are). */
export async function readJsonl(file: string): Promise<JsonlRow[]> {
  return parseJsonl(await fs.readFile(file, 'utf8'), file);
}
