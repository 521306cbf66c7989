/** The HTTP statuses the API answers with (the `http` of a catalogue row). */
export type HttpStatus = 400 | 401 | 403 | 404 | 408 | 409 | 414 | 429 | 431 | 500 | 501 | 503;

/** One row of the error catalogue (`error-catalogue.ts`). */
export interface ErrorSpec {
  /** The status the API answers when the code is an error's own code. */
  readonly http: HttpStatus;
  /** The SIP status the code goes with, where RFC 3261 or RFC 3264 gives one. */
  readonly sip?: number;
  /** One sentence that says what went wrong. */
  readonly message: string;
}

/** The shape of a group of the catalogue: code → its row. */
export type Catalogue = Record<string, ErrorSpec>;
