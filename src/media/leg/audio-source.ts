/** A pull source of 8 kHz 16-bit mono PCM, read one 20 ms frame (160 samples) at a time. */
export interface AudioSource {
  /** Fills `frame` (zeros for silence); returns false once the source has ended. */
  read(frame: Int16Array): boolean;
}

/** A push sink of 8 kHz 16-bit mono PCM frames. */
export interface AudioSink {
  /** Takes one frame; the caller reuses the array afterwards, so copy what must be kept. */
  write(frame: Int16Array): void;
}

/** A source that never ends and only produces silence. */
export const silentSource: AudioSource = {
  read(frame: Int16Array): boolean {
    frame.fill(0);
    return true;
  },
};
