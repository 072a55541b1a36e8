/**
 * Measured on the recorded cascades sets of ../shared/data (unlicensed: read where they lie, never
 * shipped): what `cascade advise` says on real models' outcomes with the guarantee (the same fit
 * as `cascade calibrate --candidates`): a cascade through the gpt-4o family for mmlu_qwen (a qwen2.5
 * beats gpt-4o there), llama3.1-70b alone for gsm8k_llama at 95% of the quality with 90%
 * confidence, llama3.1-405b alone for truthfulqa_llama (nothing confirmed). The same cases run on
 * the synthetic sets in test/unit/advise-recommend.test.ts, which check the code; these check the
 * claim.
 */
import { sharedDataPath } from '../helpers/shared-data';
import { describeShared } from '../helpers/shared-suite';
import { adviseOnLabelledSets } from '../unit/advise-cases';

describeShared('advise on the recorded cascades sets', () => {
  adviseOnLabelledSets((set) => sharedDataPath(`cascades/${set}_train.jsonl`), {
    cascade: [['mmlu_qwen', 'gpt-4o-mini', 'gpt-4o']],
    cheaperAlone: {
      set: 'gsm8k_llama',
      ladder: ['llama3.1-8b', 'llama3.1-405b'],
      target: 0.95,
      confidence: 0.9,
      model: /^llama3\.1-70b$/,
    },
    nothing: ['truthfulqa_llama', 'llama3.1-8b', 'llama3.1-405b'],
  });
});
