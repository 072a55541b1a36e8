/**
 * What every process that starts requests (CascadeClient, hence the gateway, `cascade run`,
 * `cascade dev`) knows of the control plane: the `cascade-control` workflow's memo
 * (src/temporal/workflows/control.ts), read with DescribeWorkflowExecution every `intervalMs` (1 s by
 * default), so a change made with `cascade control` reaches new requests everywhere within
 * about that interval plus one RPC, with no redeploy and no config edit. Reading needs no worker.
 *
 * When Temporal cannot be reached, the last state read stays in force (a process keeps obeying
 * the kill switch it saw); a process that never read one serves by its config file.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { CASCADE_TASK_QUEUE } from '../request/router/cascade-input';
import {
  CONTROL_CHANGE_SIGNAL,
  CONTROL_MEMO_KEY,
  CONTROL_WORKFLOW_ID,
  controlChangeProblem,
  EMPTY_CONTROL,
  type ControlChange,
  type ControlState,
} from '../request/router/control';
import type { controlWorkflow } from './workflows/control';

export const DEFAULT_CONTROL_INTERVAL_MS = 1_000;

export class ControlPlane {
  private state: ControlState = EMPTY_CONTROL;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  /** Last read error (for `cascade control show`); null after a good read. */
  lastError: Error | null = null;

  constructor(
    private readonly client: Client,
    private readonly opts: { intervalMs?: number; workflowId?: string } = {},
  ) {}

  /** The state last read (empty until the first read). */
  current(): ControlState {
    return this.state;
  }

  /** Reads now, then every interval; the timer never keeps the process alive. */
  start(): Promise<void> {
    if (!this.timer) {
      this.timer = setInterval(
        () => void this.refresh(),
        this.opts.intervalMs ?? DEFAULT_CONTROL_INTERVAL_MS,
      );
      this.timer.unref();
    }
    return this.refresh();
  }

  /** One read of the control workflow's memo (concurrent callers share it). */
  refresh(): Promise<void> {
    this.inFlight ??= this.read().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async read(): Promise<void> {
    try {
      const desc = await this.client.workflow
        .getHandle(this.opts.workflowId ?? CONTROL_WORKFLOW_ID)
        .describe();
      const memo = (desc.memo ?? {})[CONTROL_MEMO_KEY] as ControlState | undefined;
      if (memo && typeof memo.version === 'number' && memo.version >= this.state.version) this.state = memo;
      this.lastError = null;
    } catch (err) {
      // Never set: nothing to obey. Anything else: keep the last state read.
      if (err instanceof WorkflowNotFoundError) {
        this.lastError = null;
        return;
      }
      this.lastError = err as Error;
    }
  }
}

/**
 * Sends one change to the control workflow, starting it if it is not running (the `cascade`
 * queue's workers run it). Refuses an ill-formed change before sending anything.
 */
export async function sendControlChange(
  client: Client,
  change: ControlChange,
  opts: { taskQueue?: string; workflowId?: string } = {},
): Promise<void> {
  const problem = controlChangeProblem(change);
  if (problem) throw new Error(`invalid control change: ${problem}`);
  await client.workflow.signalWithStart<typeof controlWorkflow, [ControlChange]>('controlWorkflow', {
    workflowId: opts.workflowId ?? CONTROL_WORKFLOW_ID,
    taskQueue: opts.taskQueue ?? CASCADE_TASK_QUEUE,
    args: [EMPTY_CONTROL],
    signal: CONTROL_CHANGE_SIGNAL,
    signalArgs: [change],
  });
}
