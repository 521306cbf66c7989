export {
  RECORDING_STATUSES,
  RECORDING_STATUS_TRANSITIONS,
  UNFINISHED_RECORDING_STATUSES,
  canTransition,
  newRecording,
  recordingFilenames,
  recordingIdOfFilename,
  transition,
} from './recording.ts';
export type {
  Recording,
  RecordingFile,
  RecordingLayout,
  RecordingOutcome,
  RecordingReferenceType,
  RecordingStatus,
} from './recording.ts';
export type {
  ByteRange,
  CaptureResult,
  CaptureStopReason,
  RecordingCapture,
  RecordingEvent,
  RecordingFileStore,
  RecordingSource,
  RecordingStorage,
  RecordingStorePort,
} from './ports.ts';
export { RecordingService } from './recording-service.ts';
export type {
  RecordingEndReason,
  RecordingServiceEvents,
  RecordingServiceOptions,
  StartRecordingRequest,
} from './recording-service.ts';
export { LocalRecordingStorage } from './local-recording-storage.ts';
export type { LocalRecordingStorageOptions, WavRepairer } from './local-recording-storage.ts';
export { runOnEndFlows } from './on-end-flow.ts';
export type { OnEndFlowStarter, RecordingEndSource } from './on-end-flow.ts';
