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
/** An HTTP method for webhooks. */
export const WebhookMethod = Type.Union([
  Type.Literal('POST'),
  Type.Literal('PUT'),
  Type.Literal('GET'),
  Type.Literal(''),
]);
