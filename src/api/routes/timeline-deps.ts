/** What the timeline routes need beyond the store (docs/timeline.md "Reading a timeline"). */
export interface TimelineApiDeps {
  /**
   * Writes what the recorder of this process still holds, so a read sees everything recorded so far;
   * in a cluster also what the node that runs `subject` holds (docs/cluster.md "Any node serves the
   * whole API"). Called only after the read's tenancy was checked.
   */
  flush(subject?: TimelineSubject): Promise<void>;
}

/** The call, activeflow or conference whose timeline is read. */
export interface TimelineSubject {
  kind: 'call' | 'activeflow' | 'conference';
  id: string;
}
