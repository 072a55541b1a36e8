/**
 * The prompt's fingerprint in the ledger: sha256 (hex) of the messages as JSON
 * `[{"role":...,"content":...},...]`. Two requests with the same messages have the same hash
 * (that is how a user's retry is recognised); the text itself is never stored.
 */
import { createHash } from 'node:crypto';
import type { ChatMessage } from '../providers/types';

export function promptHash(messages: ChatMessage[]): string {
  const canonical = JSON.stringify(messages.map((m) => ({ role: m.role, content: m.content })));
  return createHash('sha256').update(canonical).digest('hex');
}
