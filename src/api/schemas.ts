import { Type } from 'typebox';

/** `^\+[1-9][0-9]{6,14}$`: E.164 exactly (docs/api.md "Addresses"). */
export const E164_PATTERN = '^\\+[1-9][0-9]{6,14}$';

/** A display name. */
export const Name = Type.String({ maxLength: 255 });
/** Free text. */
export const Detail = Type.String({ maxLength: 4000 });
/** A UUID string. */
export const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  'x-reason': 'INVALID_ID',
  'x-message': 'is not a UUID',
});
/** An E.164 phone number. */
export const E164 = Type.String({
  pattern: E164_PATTERN,
  'x-reason': 'INVALID_E164',
  'x-message': "is not E.164: it must be '+' followed by 7 to 15 digits with no spaces or punctuation",
});
/** An extension name: letters and digits only. */
export const ExtensionName = Type.String({
  pattern: '^[A-Za-z0-9]{1,32}$',
  'x-reason': 'INVALID_EXTENSION',
  'x-message': 'is not a valid extension: 1 to 32 letters or digits, no spaces or special characters',
});
/** A SIP password: 8 to 64 printable characters with a letter and a digit. */
export const SipPassword = Type.String({
  pattern: '^(?=.*[A-Za-z])(?=.*[0-9])[\\x21-\\x7e]{8,64}$',
  'x-reason': 'WEAK_PASSWORD',
  'x-message': 'must be 8 to 64 printable characters without spaces, with at least one letter and one digit',
});
/** A login password. */
export const LoginPassword = Type.String({
  minLength: 8,
  maxLength: 128,
  'x-reason': 'WEAK_PASSWORD',
  'x-message': 'must be 8 to 128 characters',
});
/** An http(s) URL, or empty. */
export const HttpUrlOrEmpty = Type.String({
  maxLength: 2048,
  pattern: '^(|https?://[^\\s]+)$',
  'x-reason': 'INVALID_URL',
  'x-message': 'must be an http:// or https:// URL',
});
/** A music-on-hold file: an http(s) URL, or '' for the built-in music (docs/calls.md "Music on hold"). */
export const MohUrlOrEmpty = Type.String({
  maxLength: 2048,
  pattern: '^(|[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+[^\\s]*)$',
  'x-reason': 'INVALID_MEDIA_URL',
  'x-message': 'must be an http:// or https:// URL of a WAV or MP3, or empty',
});
/** An HTTP method for webhooks. */
export const WebhookMethod = Type.Union([
  Type.Literal('POST'),
  Type.Literal('PUT'),
  Type.Literal('GET'),
  Type.Literal(''),
]);

const UUID_TEXT = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/** A UUID, or `''` for none (VoIPBIN's forms send either for an unset reference). */
export const UuidOrEmpty = Type.String({
  pattern: `^(|${UUID_TEXT})$`,
  'x-reason': 'INVALID_ID',
  'x-message': 'is not a UUID (or "" for none)',
});

/** An E.164 number, or `''` for none. */
export const E164OrEmpty = Type.String({
  pattern: `^(|${E164_PATTERN.slice(1, -1)})$`,
  'x-reason': 'INVALID_E164',
  'x-message': 'is not E.164 (or "" for none): \'+\' followed by 7 to 15 digits',
});

/** A postal address, free text. */
export const PostalAddress = Type.String({ maxLength: 1024 });

/** VoIPBIN's configuration flags of a customer or a number (docs/voipbin-compatibility.md "Metadata"). */
export const VoipbinMetadataBody = Type.Object(
  { rtp_debug: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

/** Most keys of a free-form `data` object. */
export const FREE_DATA_MAX_KEYS = 64;
/** Most bytes of a free-form `data` object as JSON text. */
export const FREE_DATA_MAX_BYTES = 16 * 1024;

/**
 * Free-form key/value data stored whole (a conference's `data`): at most
 * {@link FREE_DATA_MAX_KEYS} keys of up to 128 characters; {@link freeDataTooLarge} bounds its size.
 */
export const FreeData = Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), {
  maxProperties: FREE_DATA_MAX_KEYS,
  'x-reason': 'TOO_MANY_ITEMS',
  'x-message': `has more than ${FREE_DATA_MAX_KEYS} keys`,
});

/** Whether free-form data is larger than {@link FREE_DATA_MAX_BYTES} as JSON text. */
export function freeDataTooLarge(data: unknown): boolean {
  return Buffer.byteLength(JSON.stringify(data) ?? '', 'utf8') > FREE_DATA_MAX_BYTES;
}

/** Metadata as VoIPBIN shows it: every flag present (`{"rtp_debug": false}` for none set). */
export function publicMetadata(m: { rtp_debug?: boolean } | undefined): { rtp_debug: boolean } {
  return { rtp_debug: m?.rtp_debug === true };
}

/** Metadata stored from a `PUT …/metadata` body, which replaces all of it as VoIPBIN does. */
export function metadataFromBody(body: { rtp_debug?: unknown }): { rtp_debug: boolean } {
  return { rtp_debug: body.rtp_debug === true };
}
