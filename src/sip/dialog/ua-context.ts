import type { TransactionLayer } from '../transaction/index.ts';
import type { Dialog } from './dialog.ts';
import type { DialogHost, DialogInit } from './dialog-types.ts';

/** What the INVITE objects need from their user agent. */
export interface UaContext {
  readonly host: DialogHost;
  readonly layer: TransactionLayer;
  /** Create a dialog and enter it in the user agent's table until it terminates. */
  addDialog(init: DialogInit): Dialog;
  /** A dialog by Call-ID, local tag and remote tag. */
  findDialog(callId: string, localTag: string, remoteTag: string): Dialog | undefined;
}
