/** Body and extra headers of a request or response. */
export interface MessageContent {
  body?: Buffer | string;
  contentType?: string;
  headers?: [string, string][];
}
