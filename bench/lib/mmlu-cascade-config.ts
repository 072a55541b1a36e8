/**
 * The config the load benches run (bench/gateway-load, bench/topology-load): the 2-rung mmlu
 * cascade (llama3.1-8b, then llama3.1-405b at answer logprob 0.7), lean execution, both models
 * on the recorded-model server at `base`. Written to `<dir>/cascade.config.yaml`; returns its path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

export function writeMmluCascadeConfig(dir: string, base: string): string {
  const model = (inputPerMTok: number) => ({
    provider: 'openai-compatible',
    baseUrl: base,
    pricing: { inputPerMTok, outputPerMTok: inputPerMTok },
    concurrency: 256,
  });
  const file = path.join(dir, 'cascade.config.yaml');
  fs.writeFileSync(
    file,
    stringify({
      temporal: { namespace: 'default', costPerAction: 0.000025 },
      models: { 'llama3.1-8b': model(0.2), 'llama3.1-405b': model(3) },
      tasks: {
        mmlu: {
          route: 'cascade',
          rungs: [
            { model: 'llama3.1-8b', confidence: 'answer_logprob', threshold: 0.7 },
            { model: 'llama3.1-405b' },
          ],
        },
      },
    }),
  );
  return file;
}
