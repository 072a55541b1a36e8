/**
 * Measured on the recorded cascades sets of ../shared/data (unlicensed: read where they lie, never
 * shipped): do the drift monitors separate real traffic mixes and real models' confidences? Real
 * MMLU and GSM8K prompts as two mixes, and the recorded answer logprobs of llama3.1-8b and
 * llama3.2-1b. The same cases run on the synthetic sets in test/unit/monitors-drift.test.ts,
 * which check the code; these check it on real prompts and real confidences.
 */
import { sharedDataPath } from '../helpers/shared-data';
import { describeShared } from '../helpers/shared-suite';
import { promptDriftCases } from '../unit/prompt-drift-cases';

describeShared('drift of the recorded cascades prompts and confidences', () => {
  promptDriftCases({
    mmlu: sharedDataPath('cascades/mmlu_llama_train.jsonl'),
    gsm8k: sharedDataPath('cascades/gsm8k_llama_train.jsonl'),
  });
});
