/**
 * controlWorkflow: the control plane's one record (`cascade-control`), so that a kill switch,
 * rollout or model override set once reaches every process that starts requests, wherever its
 * config file lives (docs/architecture.md, "Operational control and shadow mode").
 *
 * `cascade control` signals a change (signal-with-start); the workflow folds it into its state
 * and writes the state to its memo, which clients read with DescribeWorkflowExecution (no worker
 * needed to answer, unlike a query). It runs until cancelled, continuing as new when the server
 * suggests it, carrying its state.
 */
import {
  condition,
  continueAsNew,
  defineSignal,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import {
  applyChange,
  CONTROL_CHANGE_SIGNAL,
  CONTROL_MEMO_KEY,
  EMPTY_CONTROL,
  type ControlChange,
  type ControlState,
} from '../../request/router/control';

export const controlChangeSignal = defineSignal<[ControlChange]>(CONTROL_CHANGE_SIGNAL);

export async function controlWorkflow(initial: ControlState = EMPTY_CONTROL): Promise<void> {
  let state = initial;
  let pending = 0;
  setHandler(controlChangeSignal, (change) => {
    state = applyChange(state, change);
    pending++;
  });
  upsertMemo({ [CONTROL_MEMO_KEY]: state });
  for (;;) {
    await condition(() => pending > 0 || workflowInfo().continueAsNewSuggested);
    if (pending > 0) {
      pending = 0;
      upsertMemo({ [CONTROL_MEMO_KEY]: state });
    }
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof controlWorkflow>(state);
  }
}
