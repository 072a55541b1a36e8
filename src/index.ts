// The public API for backend code: start cascades, read traces, validate requests and configs.
export { CascadeClient, type CascadeClientOptions, type StartedCascade } from './doors/client/cascade-client';
export { RequestError, parseRequest, type RawRequest } from './doors/client/request';
export { loadConfig, parseConfig, validateConfig, type LoadedConfig } from './request/config-file/load';
export { ConfigError } from './request/config/errors';
export type { CascadeConfig, ModelConfig, TaskConfig } from './request/config/schema';
export { ESCALATION_REASONS, TRACE_VERSION, type EscalationReason, type Trace } from './request/router/trace';
export { startWorkers, type CascadeWorkerOptions, type RunningWorkers } from './temporal/worker';
export { runCalibration, type CalibrateOptions, type CalibrateOutcome } from './tools/calibrate/run';
export { readArtefactFile, ArtefactError } from './request/config-file/artefact-file';
export { readLabelledData, LabelledDataError } from './tools/calibrate/labelled-data';
export type { CalibrationArtefact } from './request/router/calibration/artefact';
export {
  openLedger,
  UnknownRequestError,
  type Ledger,
  type RequestRow,
  type AttemptRow,
  type FeedbackInput,
  type FeedbackRow,
  type TenantCosts,
} from './request/ledger';
export { createCascadeMetrics, type CascadeMetrics } from './watch/telemetry/metrics';
export { AesGcmPayloadCodec, codecFromEnv, codecDataConverter, startCodecServer } from './request/codec';
export { buildReport, type ReportOptions } from './watch/monitors/build-report';
export { storedReport, type Report, type Alert, type MonitorName } from './watch/monitors/types';
export { renderReportHtml } from './watch/report/html';
export { renderReportTable } from './watch/report/table';
export {
  replayHistories,
  readHistoryFile,
  historyToJson,
  type HistoryToReplay,
  type ReplayOutcome,
} from './doors/client/replay';
