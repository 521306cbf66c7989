export { TIMELINE_KINDS, noTimeline } from './timeline.ts';
export type {
  NewTimelineEntry,
  TimelineEntry,
  TimelineKind,
  TimelineRecorder,
  TimelineSubject,
} from './timeline.ts';
