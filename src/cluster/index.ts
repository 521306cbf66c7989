export { startEventRelay, type EventRelayOptions } from './event-relay.ts';
export {
  assertNodeIdFree,
  connectClusterBus,
  resolveNodeId,
  serveNodePing,
  type NodePingAnswer,
} from './node-identity.ts';
export { NodeDrain, type DrainOutcome, type DrainTarget, type NodeDrainOptions } from './node-drain.ts';
export { NodeWatcher, type NodeWatcherOptions } from './node-watcher.ts';
export { reconcileDeadNode, type DeadNodeReport, type DeadNodeSteps } from './dead-node.ts';
export { FILE_CHUNK_BYTES, RemoteFiles, nodeFileSubject, type RemoteFilesOptions } from './remote-files.ts';
export { ClusterCalls } from './remote-calls.ts';
export { ClusterActiveflows } from './remote-activeflows.ts';
export { ClusterConferences } from './remote-conferences.ts';
export { ClusterGroupcalls } from './remote-groupcalls.ts';
export { ClusterTimeline, serveTimelineFlush } from './remote-timeline.ts';
export {
  ConferenceAdmissions,
  JOIN_TOKEN_TTL_MS,
  nodeConferenceSubject,
  requestAdmission,
  type AdmissionGrant,
  type AdmissionRequest,
} from './conference-admissions.ts';
export { ClusterConferenceJoins, type RemoteJoinLegs, type RemoteJoinRequest } from './conference-joins.ts';
export { startCommandServer } from './command-server.ts';
export { startCustomerDeletion, type CustomerDeletion } from './customer-deletion.ts';
export { COMMAND_TIMEOUT_MS } from './command-wire.ts';
