/** Shapes shared by the floor workflow (bench/overhead/floor-workflow.ts) and its activity. */
export interface FloorInput {
  /** false: the workflow returns at once; true: one local activity makes the model call. */
  call: boolean;
  system?: string;
  prompt: string;
}

export interface FloorResult {
  latencyMs: number;
  costUsd: number;
}

export interface FloorActivities {
  floorCall(input: FloorInput): Promise<FloorResult>;
}
