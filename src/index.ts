// The public API for backend code: start cascades, read traces, validate requests and configs.
export { CascadeClient, type CascadeClientOptions, type StartedCascade } from './client/cascade-client';
export { RequestError, parseRequest, type RawRequest } from './client/request';
export { loadConfig, parseConfig, validateConfig, type LoadedConfig } from './config/load';
export { ConfigError } from './config/errors';
export type { CascadeConfig, ModelConfig, TaskConfig } from './config/schema';
export { ESCALATION_REASONS, TRACE_VERSION, type EscalationReason, type Trace } from './router/trace';
export { startWorkers, type CascadeWorkerOptions, type RunningWorkers } from './worker';
export { runCalibration, type CalibrateOptions, type CalibrateOutcome } from './calibration/run';
export { readArtefactFile, ArtefactError } from './calibration/artefact-file';
export { readLabelledData, LabelledDataError } from './calibration/labelled-data';
export type { CalibrationArtefact } from './router/calibration/artefact';
export {
  openLedger,
  UnknownRequestError,
  type Ledger,
  type RequestRow,
  type AttemptRow,
  type FeedbackInput,
  type FeedbackRow,
  type TenantCosts,
} from './ledger';
export { createCascadeMetrics, type CascadeMetrics } from './telemetry/metrics';
export { AesGcmPayloadCodec, codecFromEnv, codecDataConverter, startCodecServer } from './codec';
export { buildReport, type ReportOptions } from './monitors/build-report';
export { storedReport, type Report, type Alert, type MonitorName } from './monitors/types';
export { renderReportHtml } from './report/html';
export { renderReportTable } from './report/table';
export {
  replayHistories,
  readHistoryFile,
  historyToJson,
  type HistoryToReplay,
  type ReplayOutcome,
} from './client/replay';
