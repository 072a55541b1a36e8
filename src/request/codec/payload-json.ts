/**
 * Payloads in the JSON of Temporal's remote codec protocol (the proto3 JSON of `Payloads`):
 * `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }`. Empty fields may be absent.
 */
import type { Payload } from '@temporalio/common';
import { z } from 'zod';

/** Standard base64; proto3 JSON also allows the URL-safe alphabet. Empty is an empty byte string. */
const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64')
  .refine((s) => s.replace(/=+$/, '').length % 4 !== 1, 'must be base64');

const payloadJsonSchema = z.object({
  metadata: z.record(z.string(), base64).optional(),
  data: base64.optional(),
});

export const payloadsJsonSchema = z.object({
  payloads: z.array(payloadJsonSchema),
});

export interface PayloadJson {
  metadata: Record<string, string>;
  data: string;
}

export interface PayloadsJson {
  payloads: PayloadJson[];
}

/** Parses a request body; throws a PayloadsJsonError naming each wrong field. */
export function payloadsFromJson(body: unknown): Payload[] {
  const parsed = payloadsJsonSchema.safeParse(body);
  if (!parsed.success) {
    throw new PayloadsJsonError(
      parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`),
    );
  }
  return parsed.data.payloads.map((p) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
    ),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  }));
}

export function payloadsToJson(payloads: Payload[]): PayloadsJson {
  return {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [
          k,
          Buffer.from(v ?? new Uint8Array()).toString('base64'),
        ]),
      ),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    })),
  };
}

export class PayloadsJsonError extends Error {
  constructor(readonly issues: string[]) {
    super(
      `malformed payloads: ${issues.join('; ')} (expected { "payloads": [{ "metadata": { key: base64 }, "data": base64 }] })`,
    );
    this.name = 'PayloadsJsonError';
  }
}
