/**
 * Measured on the recorded cascades sets of ../shared/data (unlicensed: read where they lie, never
 * shipped): does `cascade advise` give, on real models' outcomes, the answers bench/README.md's
 * routing section reports (a cascade for triviaqa_qwen and medmcqa_qwen, qwen2.5 alone for
 * mmlu_qwen, llama3.1-405b alone for truthfulqa_llama)? The same cases run on the synthetic sets in
 * test/unit/advise-recommend.test.ts, which check the code; these check the claim.
 */
import { sharedDataPath } from '../helpers/shared-data';
import { describeShared } from '../helpers/shared-suite';
import { adviseOnLabelledSets } from '../unit/advise-cases';

describeShared('advise on the recorded cascades sets', () => {
  adviseOnLabelledSets((set) => sharedDataPath(`cascades/${set}_train.jsonl`), 285);
});
