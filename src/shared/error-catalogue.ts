/**
 * Every error code of callbin, in one table (`ERRORS`, grouped in `ERROR_GROUPS`): the `code` of an
 * AppError, the `reason` of the API's error envelope and of a field issue (a schema's `x-reason`
 * included), the `code` of an activeflow action error. `http` is the status the API answers when the
 * code is an error's own (a validation error always answers 400 and lists its reasons in `details`);
 * 500 marks a code that never reaches a client on its own (the API answers `INTERNAL`). `sip` is the
 * SIP status the code goes with where RFC 3261 or RFC 3264 gives one (answered by callbin, or treated
 * as received: RFC 3261 §8.1.3.1 treats a timeout as 408 and a transport error as 503).
 * `docs/errors.md` is generated from this table (`npm run docs:errors`).
 */
import type { Catalogue, HttpStatus } from './error-spec.ts';

// The request as a whole (api/errors.ts, api/plugins/)
const REQUEST = {
  INVALID_ARGUMENT: { http: 400, message: 'The request is invalid; details name each field.' },
  MALFORMED_REQUEST: { http: 400, message: 'The request is not well-formed HTTP or is otherwise unreadable.' },
  MALFORMED_JSON: { http: 400, message: 'The body is not valid JSON.' },
  MALFORMED_URL: { http: 400, message: 'The URL is not valid percent-encoding.' },
  UNSUPPORTED_MEDIA_TYPE: { http: 400, message: 'The body must be application/json.' },
  BODY_TOO_LARGE: { http: 400, message: 'The body is larger than the server accepts.' },
  BODY_TOO_DEEP: { http: 400, message: 'The body nests arrays and objects too deep.' },
  FORBIDDEN_KEY: { http: 400, message: 'The body has a "__proto__" or "constructor.prototype" key.' },
  MISSING_HOST: { http: 400, message: 'An HTTP/1.1 request needs a Host header.' },
  REQUEST_TIMEOUT: { http: 408, message: 'The request was not received in time.' },
  URI_TOO_LONG: { http: 414, message: 'A path segment is too long.' },
  HEADERS_TOO_LARGE: { http: 431, message: 'The request line and headers are too large.' },
  ROUTE_NOT_FOUND: { http: 404, message: 'No such endpoint, or no route carries the number dialled.' },
  INTERNAL: { http: 500, message: 'An internal fault; the request may be retried.' },
} as const satisfies Catalogue;

// Credentials and limits (api/auth.ts, api/login.ts)
const CREDENTIALS = {
  AUTHENTICATION_REQUIRED: { http: 401, message: 'The endpoint needs an access key or a login token.' },
  INVALID_CREDENTIALS: { http: 401, message: 'The credential is invalid or expired, or the password is wrong.' },
  PERMISSION_DENIED: { http: 403, message: 'The principal may not do this.' },
  CUSTOMER_FROZEN: {
    http: 403,
    sip: 403,
    message: 'The customer is frozen: its credentials and calls are refused until the project admin recovers it.',
  },
  TOO_MANY_FAILED_ATTEMPTS: { http: 429, message: 'Too many failed credentials from this source; retry later.' },
  RATE_LIMIT_EXCEEDED: { http: 429, message: 'Too many requests for this credential; retry after Retry-After.' },
  ADMIN_KEY_IS_CUSTOMER_KEY: { http: 500, message: "CALLBIN_ADMIN_KEY is (or was) a customer's access key." },
} as const satisfies Catalogue;

// Idempotency and availability (api/plugins/idempotency.ts, api/routes/)
const AVAILABILITY = {
  INVALID_IDEMPOTENCY_KEY: { http: 400, message: 'Idempotency-Key must be 1 to 255 characters.' },
  IDEMPOTENCY_KEY_REUSED: { http: 409, message: 'The Idempotency-Key was used with a different request.' },
  IDEMPOTENCY_KEY_IN_USE: { http: 409, message: 'A request with this Idempotency-Key is still being processed.' },
  IDEMPOTENCY_UNAVAILABLE: { http: 503, message: 'The Idempotency-Key could not be reserved; retry.' },
  CALLS_UNAVAILABLE: { http: 503, message: 'Calls are not available on this server.' },
  OVERLOADED: {
    http: 503,
    sip: 503,
    message: 'Too many calls are being set up now; retry after the Retry-After seconds.',
  },
  NODE_DRAINING: { http: 503, sip: 503, message: 'This node is shutting down; try another node.' },
  RECORDINGS_UNAVAILABLE: { http: 503, message: 'Recordings are not available on this server.' },
  CONFERENCES_UNAVAILABLE: { http: 503, message: 'Conferences are not available on this server.' },
  FLOW_ENGINE_UNAVAILABLE: { http: 503, message: 'Activeflows are not available on this server.' },
  CONFERENCE_RECORDING_UNAVAILABLE: { http: 501, message: 'Recording a conference is not available on this server.' },
  STORE_UNREACHABLE: { http: 503, message: 'The health check cannot reach the database.' },
  SIP_WEBSOCKET_OFF: {
    http: 404,
    message: 'SIP over WebSocket is off: set CALLBIN_SIP_WSS_PORT, or CALLBIN_SIP_WS_PORT for development.',
  },
  NODE_UNAVAILABLE: { http: 503, message: 'The node that holds this call or recording file does not answer.' },
  CONFERENCE_JOIN_FAILED: {
    http: 503,
    message: 'The node that holds the conference did not take the call in over the leg between the nodes.',
  },
} as const satisfies Catalogue;

// Resources that do not exist or that the caller may not see
const NOT_FOUND = {
  ACCESSKEY_NOT_FOUND: { http: 404, message: 'No such access key.' },
  ACTIVEFLOW_NOT_FOUND: { http: 404, message: 'No such activeflow.' },
  CALL_NOT_FOUND: { http: 404, message: 'No such call.' },
  CONFERENCE_NOT_FOUND: { http: 404, message: 'No such conference.' },
  CONFERENCECALL_NOT_FOUND: { http: 404, message: 'No such conferencecall.' },
  GROUPCALL_NOT_FOUND: { http: 404, message: 'No such groupcall.' },
  CUSTOMER_NOT_FOUND: { http: 404, message: 'No such customer.' },
  EVENT_NOT_FOUND: { http: 404, message: 'The event of a webhook delivery no longer exists.' },
  EXTENSION_NOT_FOUND: { http: 404, message: 'No such extension.' },
  FLOW_NOT_FOUND: { http: 404, message: 'No such flow.' },
  NUMBER_NOT_FOUND: { http: 404, message: 'No such number.' },
  PROVIDER_NOT_FOUND: { http: 404, message: 'No such provider.' },
  RECORDING_NOT_FOUND: { http: 404, message: 'No such recording.' },
  RECORDING_FILE_NOT_FOUND: { http: 404, message: 'The recording has no files.' },
  TRANSFER_NOT_FOUND: { http: 404, message: 'No such transfer.' },
  USER_NOT_FOUND: { http: 404, message: 'No such user.' },
  WEBHOOK_DELIVERY_NOT_FOUND: { http: 404, message: 'No such webhook delivery.' },
  MEDIA_STREAM_NOT_FOUND: { http: 404, message: 'The call has no such media stream.' },
  ALREADY_EXISTS: { http: 409, message: 'A live resource with this name or key exists already.' },
} as const satisfies Catalogue;

// Field-level reasons of a validation error (details[].reason; schema keywords and x-reason)
const FIELDS = {
  UNKNOWN_FIELD: { http: 400, message: 'The object has a field the schema does not allow.' },
  MISSING_FIELD: { http: 400, message: 'A required field is missing.' },
  INVALID_TYPE: { http: 400, message: 'The value has the wrong JSON type.' },
  INVALID_FORMAT: { http: 400, message: 'The value does not match the expected format.' },
  INVALID_VALUE: { http: 400, message: 'The value is not one of the allowed values.' },
  TOO_SHORT: { http: 400, message: 'The string is shorter than allowed.' },
  TOO_LONG: { http: 400, message: 'The string is longer than allowed.' },
  TOO_FEW_ITEMS: { http: 400, message: 'The array has fewer items than allowed.' },
  TOO_MANY_ITEMS: { http: 400, message: 'The array has more items than allowed.' },
  OUT_OF_RANGE: { http: 400, message: 'The number is outside the allowed range.' },
  INVALID_ID: { http: 400, message: 'The value is not a UUID.' },
  INVALID_E164: { http: 400, message: "The number is not E.164: '+' and 7 to 15 digits." },
  INVALID_EXTENSION: { http: 400, message: 'The value is not an extension name of 1 to 32 letters or digits.' },
  INVALID_SIP_URI: { http: 400, message: 'The value is not a SIP address user@host[:port].' },
  INVALID_ADDRESS: { http: 400, message: 'The address object is invalid or of a type that cannot be used here.' },
  INVALID_URL: { http: 400, message: 'The value is not an http(s) URL.' },
  INVALID_USERNAME: { http: 400, message: 'The username has characters that are not allowed.' },
  WEAK_PASSWORD: { http: 400, message: 'The password is too short or too simple.' },
  INVALID_HOSTNAME: { http: 400, message: 'The value is not a host name or IP address.' },
  INVALID_TECH_PREFIX: { http: 400, message: 'A tech prefix may hold only digits, *, # and +.' },
  INVALID_TECH_POSTFIX: { http: 400, message: 'The tech postfix has characters a SIP user part cannot carry.' },
  INVALID_ROUTE_TARGET: { http: 400, message: 'A route target is a country code of digits or "all".' },
  INVALID_MEDIA_URL: { http: 400, message: 'The media URL is not an http(s) URL callbin may fetch.' },
  INVALID_STREAM_URL: { http: 400, message: 'The stream address is not a ws:// or wss:// URL callbin may connect to.' },
  UNSUPPORTED_STREAM_OPTION: { http: 400, message: 'callbin does not stream media with this option value.' },
  INVALID_DIGITS: { http: 400, message: 'The digits are not DTMF symbols 0-9 * # A-D.' },
  INVALID_PAGE_SIZE: { http: 400, message: 'page_size is not an integer in the allowed range.' },
  INVALID_PAGE_TOKEN: { http: 400, message: 'page_token is not a token a previous list returned.' },
  INVALID_FILTER: { http: 400, message: 'The list cannot be filtered by this field.' },
  INVALID_FILENAME: { http: 400, message: 'The name is not a recording file name.' },
  INVALID_TIMEOUT: { http: 400, message: 'The timeout is not a whole number of seconds in range.' },
  INVALID_CONFERENCE_TYPE: { http: 400, message: 'The conference type is not one callbin knows.' },
  UNSUPPORTED_LANGUAGE: { http: 400, message: 'The language is not one the speech engine supports.' },
  UNSUPPORTED_VOICE: { http: 400, message: 'The voice is not available.' },
  TEXT_TOO_LONG: { http: 400, message: 'The text is longer than can be spoken at once.' },
  SIP_TARGET_FORBIDDEN: { http: 400, message: 'The SIP destination is an address callbin may not call.' },
} as const satisfies Catalogue;

// Flows and activeflows (flows/)
const FLOWS = {
  INVALID_ACTION: { http: 400, message: 'An action of the flow is invalid.' },
  ACTION_TOO_DEEP: { http: 400, message: 'An action nests objects and arrays too deep.' },
  INVALID_ACTION_TARGET: { http: 400, message: 'The value is not the id of an action in this flow.' },
  DUPLICATE_ACTION_ID: { http: 400, message: 'Two actions of the flow share an id.' },
  ACTION_NOT_SUPPORTED: {
    http: 400,
    message: "The action type is VoIPBIN's but needs a service callbin does not have; the message names it.",
  },
  INVALID_TIMEZONE: { http: 400, message: 'The value is not an IANA time zone known to this server.' },
  INVALID_VARIABLES: { http: 400, message: 'The variables are not an object of string values within the limits.' },
  VARIABLES_TOO_LARGE: { http: 500, message: 'An activeflow would hold more variables than allowed.' },
  ACTION_TARGET_NOT_FOUND: { http: 500, message: 'A jump names an action that is not in the activeflow.' },
  TOO_MANY_PUSHED_LISTS: { http: 500, message: 'An activeflow pushed more action lists than allowed.' },
  TOO_MANY_ACTIONS: { http: 500, message: 'An activeflow executed more actions than allowed and was ended.' },
  ACTION_FAILED: { http: 500, message: 'An action failed with an error that has no code of its own.' },
  ACTIVEFLOW_ENDED: { http: 500, message: 'The activeflow ended while the action ran.' },
  CALL_REQUIRED: { http: 409, message: 'The action needs a call and the activeflow has none.' },
  FETCH_FAILED: { http: 500, message: 'A fetch action got no usable answer.' },
  FETCH_TIMEOUT: { http: 500, message: 'A fetch action got no answer in time.' },
  FETCH_RESPONSE_TOO_LARGE: { http: 500, message: 'A fetch answer was larger than allowed.' },
  FETCH_INVALID_JSON: { http: 500, message: 'A fetch answer was not JSON.' },
  FETCH_INVALID_RESPONSE: { http: 500, message: 'A fetch answer was not an array of actions.' },
  WEBHOOK_FAILED: { http: 500, message: 'A webhook_send answer was not 2xx.' },
  WEBHOOK_TIMEOUT: { http: 500, message: 'A webhook_send got no answer in time.' },
  WEBHOOK_RESPONSE_TOO_LARGE: { http: 500, message: 'A webhook_send answer was larger than allowed.' },
  HTTP_REQUEST_FAILED: { http: 500, message: 'An HTTP request of a flow action failed.' },
  INVALID_URI: { http: 500, message: 'The URL may not be requested.' },
  SSRF_BLOCKED: { http: 500, message: 'The URL resolves to an internal address.' },
} as const satisfies Catalogue;

// Calls, transfers, conferences, recordings (domain state)
const STATES = {
  INVALID_STATE: { http: 409, message: 'The object is in a state that does not allow the operation.' },
  CALL_STATE_INVALID: { http: 409, message: 'The call is in a status that does not allow the operation.' },
  CALL_ALREADY_HANGUP: { http: 409, message: 'The call is already hung up.' },
  GROUPCALL_ALREADY_HANGUP: { http: 409, message: 'The groupcall is already hung up.' },
  GROUPCALL_STATE_INVALID: { http: 409, message: 'The groupcall is not run by the node that was asked.' },
  TRANSFER_STATE_INVALID: { http: 409, message: 'The transfer is in a status that does not allow the operation.' },
  TRANSFER_IN_PROGRESS: { http: 409, message: 'The call is already being transferred.' },
  TRANSFER_NOT_SUPPORTED: { http: 409, message: "Only an agent's call chained to a caller's call can be transferred." },
  TRANSFER_DIAL_FAILED: { http: 409, message: 'No call could be created for the transferee.' },
  RECORDING_ALREADY_ACTIVE: { http: 409, message: 'The call is recording already.' },
  MEDIA_STREAM_LIMIT: { http: 409, message: 'The call has as many media streams as allowed (one of them speaking).' },
  RECORDING_NOT_ACTIVE: { http: 409, message: 'The call has no active recording.' },
  RECORDING_STATE_INVALID: { http: 409, message: 'The recording cannot move to that status.' },
  RECORDING_NOT_ENDED: { http: 409, message: 'The recording files are ready once it has ended.' },
  RECORDING_TOO_LARGE: { http: 409, message: 'The recording is too large for a zip download.' },
  CUSTOMER_NOT_FROZEN: { http: 409, message: 'Only a frozen customer can be recovered.' },
  CONFERENCE_NOT_PROGRESSING: { http: 409, message: 'The conference has ended.' },
  CONFERENCE_STATE_INVALID: { http: 409, message: 'The conference cannot move to that status.' },
  CONFERENCE_ALREADY_RECORDING: { http: 409, message: 'The conference is recording already.' },
  CONFERENCE_NOT_RECORDING: { http: 409, message: 'The conference is not recording.' },
  CONFERENCECALL_NOT_JOINED: { http: 409, message: 'The conferencecall is not joined.' },
  CONFERENCECALL_STATE_INVALID: { http: 409, message: 'The conferencecall cannot move to that status.' },
  DELIVERY_IN_PROGRESS: { http: 409, message: 'Only a delivered or failed webhook delivery can be redelivered.' },
  LEG_NOT_ESTABLISHED: { http: 409, message: 'The call leg has no established dialog.' },
  LEG_ALREADY_ANSWERED: { http: 409, message: 'The incoming leg was answered already.' },
} as const satisfies Catalogue;

// Media (media/, endpoint/)
const MEDIA = {
  MEDIA_LEG_NOT_FOUND: { http: 404, message: 'The call has no media leg.' },
  CONFERENCE_MIX_NOT_FOUND: { http: 404, message: 'The conference is not mixing.' },
  MEDIA_NOT_NEGOTIATED: { http: 409, message: 'No media was negotiated yet.' },
  MEDIA_NO_PENDING_OFFER: { http: 409, message: 'No offer of ours awaits an answer.' },
  MEDIA_NOT_SENDING: { http: 409, message: 'The peer takes no media from this leg (hold).' },
  MEDIA_ENDPOINT_CLOSED: { http: 409, message: 'The media endpoint is closed.' },
  DTMF_NOT_NEGOTIATED: { http: 409, message: 'The peer did not agree to telephone-event (RFC 4733).' },
  DTMF_BUSY: { http: 409, message: 'The DTMF sender is sending already.' },
  DTMF_CANCELLED: { http: 409, message: 'DTMF sending was cancelled.' },
  MIXER_CLOSED: { http: 409, message: 'The mixer is closed.' },
  AUDIO_SENDER_CLOSED: { http: 409, message: 'The audio sender is closed.' },
  MEDIA_CLOCK_CLOSED: { http: 409, message: 'The media clock is closed.' },
  RECORDER_CLOSED: { http: 409, message: 'The WAV writer is closed.' },
  RTP_SESSION_CLOSED: { http: 409, message: 'The RTP session is closed.' },
  RELAY_SAME_SESSION: { http: 409, message: 'A relay needs two different sessions.' },
  RELAY_CLOSED: { http: 409, message: 'The relay bridge is closed.' },
  OPUS_CODEC_CLOSED: { http: 409, message: 'The Opus codec is closed.' },
  MEDIA_BRIDGE_SELF: { http: 500, message: 'A leg cannot be bridged to itself.' },
  DUPLICATE_PARTICIPANT: { http: 400, message: 'The participant joined the mixer already.' },
  UNKNOWN_PARTICIPANT: { http: 400, message: 'The participant is not in the mixer.' },
  UNSUPPORTED_CODEC: { http: 400, message: 'The codec is not one callbin speaks (PCMU, PCMA or opus).' },
  CODEC_MISMATCH: { http: 400, message: 'Two sessions with different codecs cannot be relayed without transcoding.' },
  INVALID_PORT_RANGE: { http: 400, message: 'The RTP port range is invalid.' },
  INVALID_WAV: { http: 400, message: 'The file is not a WAV file callbin wrote.' },
  INVALID_DTMF: { http: 400, message: 'The character is not a DTMF digit.' },
  INVALID_DTMF_INFO: { http: 400, message: 'The INFO body is not application/dtmf-relay.' },
  MALFORMED_RTP: { http: 400, message: 'The packet is not RTP version 2.' },
  MALFORMED_RTCP: { http: 400, message: 'The packet is not valid RTCP.' },
  MEDIA_TOO_LARGE: { http: 500, message: 'The media is larger or longer than allowed.' },
  MEDIA_FETCH_FAILED: { http: 500, message: 'The media could not be downloaded.' },
  MEDIA_TIMEOUT: { http: 500, message: 'The media was not downloaded or decoded in time.' },
  MEDIA_DECODE_FAILED: { http: 500, message: 'The media could not be decoded.' },
  MEDIA_ABORTED: { http: 500, message: 'Loading the media was aborted.' },
  TTS_FAILED: { http: 500, message: 'The speech engine failed.' },
  TTS_TIMEOUT: { http: 500, message: 'The speech engine did not finish in time.' },
  TTS_TOO_LARGE: { http: 500, message: 'The speech engine wrote more audio than allowed.' },
  TTS_ABORTED: { http: 500, message: 'Speech synthesis was aborted.' },
  RTP_PORTS_EXHAUSTED: { http: 500, message: 'No free RTP port pair is left.' },
  STREAM_PROTOCOL_ERROR: { http: 500, message: 'A media stream peer sent a message that is not of the protocol.' },
  STREAM_CLOSED: { http: 409, message: 'The media stream is closed.' },
} as const satisfies Catalogue;

// SIP and SDP (sip/, sdp/)
const SIP = {
  SDP_INVALID: { http: 500, sip: 488, message: 'The SDP is invalid.' },
  SDP_NO_COMMON_CODEC: { http: 500, sip: 488, message: 'The offer has no media callbin can accept (RFC 3264).' },
  SDP_WEBRTC_INVALID: {
    http: 500,
    sip: 488,
    message: 'A WebRTC description lacks ICE credentials or a DTLS fingerprint, or cannot be applied (RFC 8829).',
  },
  MESSAGE_TOO_LARGE: { http: 500, sip: 513, message: 'A streamed SIP message is larger than allowed.' },
  HEADER_TOO_LARGE: { http: 500, sip: 513, message: 'The headers of a streamed SIP message are too large.' },
  BAD_CONTENT_LENGTH: { http: 500, sip: 400, message: 'A streamed SIP message has no valid Content-Length.' },
  SIP_PARSE: { http: 500, sip: 400, message: 'A SIP message, URI or header does not follow the RFC 3261 grammar.' },
  SIP_RESPONSE: { http: 500, message: 'A SIP request was answered with a non-2xx final response.' },
  TRANSACTION_TIMEOUT: { http: 500, sip: 408, message: 'A SIP transaction ended without a final response.' },
  TRANSACTION_EXISTS: { http: 409, message: 'A client transaction with this key exists already.' },
  TRANSPORT_ERROR: { http: 500, sip: 503, message: 'A SIP message could not be sent.' },
  TLS_NOT_CONFIGURED: { http: 409, message: 'A TLS listener needs a certificate and a key.' },
  UNSUPPORTED_URI: { http: 400, sip: 416, message: 'callbin cannot route to a URI of this scheme.' },
  ACK_NOT_TRANSACTION: { http: 400, message: 'An ACK is sent with sendAck(), not as a transaction.' },
  MISSING_BRANCH: { http: 400, message: 'The top Via needs a branch parameter.' },
  DIGEST_CHALLENGE: { http: 500, message: 'A digest challenge cannot be answered.' },
  INVALID_STATUS: { http: 409, message: 'The SIP status does not fit the operation.' },
  ALREADY_ANSWERED: { http: 409, message: 'The SIP request was answered already.' },
  NOT_ACCEPTED: { http: 409, message: 'The INVITE was not accepted.' },
  REFER_NOT_ACCEPTED: { http: 409, message: 'The REFER was not accepted.' },
  SUBSCRIPTION_TERMINATED: { http: 409, message: 'The REFER subscription is terminated already.' },
  DIALOG_TERMINATED: { http: 409, message: 'The dialog is terminated.' },
  DIALOG_EARLY: { http: 409, message: 'An early dialog is ended with CANCEL or a rejection, not BYE.' },
  OFFER_PENDING: { http: 409, sip: 491, message: 'An offer is pending in the dialog (RFC 3261 §14.1).' },
  CANCEL_TOO_LATE: { http: 409, message: 'The INVITE has a final response; it can no longer be cancelled.' },
  NO_CONTACT: { http: 409, message: 'A user agent needs at least one local contact.' },
  UA_CLOSED: { http: 409, message: 'The user agent is closed.' },
  ABORTED: { http: 500, message: 'A wait was aborted.' },
  SIP_LISTEN_FAILED: { http: 500, message: 'The SIP server cannot listen on its address.' },
} as const satisfies Catalogue;

// Configuration and store
const CONFIG = {
  INVALID_CONFIG: { http: 400, message: 'A configuration value is invalid.' },
  INVALID_DATABASE_URL: { http: 400, message: 'database_url must start with postgres:// or postgresql://.' },
  DATA_DIR_NOT_PRIVATE: { http: 500, message: 'The data directory cannot be made private.' },
  STORE_UNAVAILABLE: { http: 500, message: 'The database is unreachable.' },
  STORE_MIGRATION_FAILED: { http: 500, message: 'A store migration failed.' },
  DATA_DIR_IN_USE: {
    http: 500,
    message:
      'Another callbin process uses the data directory; SQLite is one node: for several nodes use PostgreSQL and NATS (docs/cluster.md).',
  },
  DATABASE_IN_USE: {
    http: 500,
    message: 'Another callbin node uses this database; several nodes need CALLBIN_NATS_URL (docs/cluster.md).',
  },
  NODE_ID_IN_USE: { http: 409, message: 'Another running node has this node id (CALLBIN_NODE_ID).' },
  NATS_UNREACHABLE: { http: 500, message: 'The NATS server of the cluster (CALLBIN_NATS_URL) does not answer.' },
  TIMELINE_ENTRIES_DROPPED: {
    http: 500,
    message: "A call's timeline reached its entry limit; the entry says how many later ones were dropped.",
  },
} as const satisfies Catalogue;

// The event stream (events/event-stream-session.ts)
const STREAM = {
  MALFORMED_MESSAGE: { http: 400, message: 'A stream message is not JSON.' },
  UNKNOWN_MESSAGE: { http: 400, message: 'A stream message is not a subscribe or unsubscribe.' },
  INVALID_TOPIC: { http: 400, message: 'The value is not a topic.' },
  RESUME_UNAVAILABLE: { http: 404, message: 'The last event id is unknown or older than the resume window.' },
  RESUME_FAILED: { http: 500, message: 'The missed events could not be read.' },
} as const satisfies Catalogue;

/** The catalogue in the groups `docs/errors.md` shows; a code belongs to one group. */
export const ERROR_GROUPS = {
  'The request as a whole': REQUEST,
  'Credentials and limits': CREDENTIALS,
  'Idempotency and availability': AVAILABILITY,
  'Resources that do not exist or that the caller may not see': NOT_FOUND,
  'Field-level reasons of a validation error': FIELDS,
  'Flows and activeflows': FLOWS,
  'Calls, transfers, conferences, recordings': STATES,
  Media: MEDIA,
  'SIP and SDP': SIP,
  'Configuration and store': CONFIG,
  'The event stream': STREAM,
} as const;

/** Every error code of callbin (`ERROR_GROUPS` flattened). */
export const ERRORS = {
  ...REQUEST,
  ...CREDENTIALS,
  ...AVAILABILITY,
  ...NOT_FOUND,
  ...FIELDS,
  ...FLOWS,
  ...STATES,
  ...MEDIA,
  ...SIP,
  ...CONFIG,
  ...STREAM,
} as const;

/** A code of the catalogue: the only codes an AppError may carry. */
export type ErrorCode = keyof typeof ERRORS;

/** The codes whose own HTTP status is `H`. */
export type ErrorCodeWithHttp<H extends HttpStatus> = {
  [C in ErrorCode]: (typeof ERRORS)[C]['http'] extends H ? C : never;
}[ErrorCode];

/** True when `value` is a code of the catalogue (for codes that arrive as data, such as a schema's `x-reason`). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}
