/** What the timeline routes need beyond the store (docs/timeline.md "Reading a timeline"). */
export interface TimelineApiDeps {
  /** Writes what the recorder of this process still holds, so a read sees everything recorded so far. */
  flush(): Promise<void>;
}
