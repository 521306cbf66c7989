import type { Migration, MigrationProvider } from 'kysely';
import * as foundation from './0001-foundation.ts';
import * as events from './0002-events.ts';
import * as calls from './0003-calls.ts';
import * as activeflows from './0004-activeflows.ts';
import * as recordings from './0005-recordings.ts';
import * as conferences from './0006-conferences.ts';
import * as sipCredentials from './0007-sip-credentials.ts';
import * as principals from './0008-principals.ts';
import * as crashRecovery from './0009-crash-recovery.ts';
import * as retention from './0010-retention.ts';
import * as clusterNodes from './0011-cluster-nodes.ts';
import * as sharedSecrets from './0012-shared-secrets.ts';
import * as registrationPath from './0013-registration-path.ts';
import * as voipbinFields from './0014-voipbin-fields.ts';
import * as groupcalls from './0015-groupcalls.ts';
import * as directHashes from './0016-direct-hashes.ts';
import * as customerStatus from './0017-customer-status.ts';
import * as transfers from './0018-transfers.ts';
import * as moh from './0019-moh.ts';
import * as timeline from './0020-timeline.ts';

// Names sort lexicographically in the order they must run; never rename or edit a shipped migration.
const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_events': events,
  '0003_calls': calls,
  '0004_activeflows': activeflows,
  '0005_recordings': recordings,
  '0006_conferences': conferences,
  '0007_sip_credentials': sipCredentials,
  '0008_principals': principals,
  '0009_crash_recovery': crashRecovery,
  '0010_retention': retention,
  '0011_cluster_nodes': clusterNodes,
  '0012_shared_secrets': sharedSecrets,
  '0013_registration_path': registrationPath,
  '0014_voipbin_fields': voipbinFields,
  '0015_groupcalls': groupcalls,
  '0016_direct_hashes': directHashes,
  '0017_customer_status': customerStatus,
  '0018_transfers': transfers,
  '0019_moh': moh,
  '0020_timeline': timeline,
};

/** The in-code migration provider kysely's Migrator runs at open. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
