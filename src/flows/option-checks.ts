import { Compile } from 'typebox/compile';
import type { FieldIssue } from '../shared/index.ts';
import { NIL_UUID } from '../shared/index.ts';
import { LANGUAGE_TAG_PATTERN, TIMEZONE_PATTERN } from './actions/option-fields.ts';
import { addressTargetIssue, AddressSchema } from './address.ts';
import type { MarkedValue } from './marked-values.ts';
import { showValue } from './schema-issues.ts';

/** What the code-level checks of one option need to know about the flow around it. */
export interface OptionCheckContext {
  /** Ids of the actions of the list the option's action belongs to. */
  readonly actionIds: ReadonlySet<string>;
  readonly isSupportedLanguage?: ((tag: string) => boolean) | undefined;
}

const addressValidator = Compile(AddressSchema);
const LANGUAGE_RE = new RegExp(LANGUAGE_TAG_PATTERN);
const TIMEZONE_RE = new RegExp(TIMEZONE_PATTERN);

/** True when the runtime's time-zone database knows `zone` (IANA names such as `Europe/Berlin`). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return true;
  } catch {
    // Intl signals an unknown zone only by throwing a RangeError: that is the answer, not a failure.
    return false;
  }
}

function actionRefIssue(
  value: unknown,
  field: string,
  unsetAllowed: boolean,
  ctx: OptionCheckContext,
): FieldIssue | undefined {
  if (typeof value !== 'string') return undefined;
  if (unsetAllowed && (value === '' || value === NIL_UUID)) return undefined;
  if (ctx.actionIds.has(value)) return undefined;
  return {
    field,
    reason: 'INVALID_ACTION_TARGET',
    message: `${showValue(value)} is not the id of an action in this flow`,
  };
}

function timezoneIssue(value: unknown, field: string): FieldIssue | undefined {
  if (typeof value !== 'string' || !TIMEZONE_RE.test(value) || isKnownTimeZone(value)) return undefined;
  return {
    field,
    reason: 'INVALID_TIMEZONE',
    message: `${showValue(value)} is not an IANA time zone known to this server`,
  };
}

function languageIssue(value: unknown, field: string, ctx: OptionCheckContext): FieldIssue | undefined {
  if (typeof value !== 'string' || !LANGUAGE_RE.test(value) || ctx.isSupportedLanguage === undefined) return undefined;
  if (ctx.isSupportedLanguage(value)) return undefined;
  return {
    field,
    reason: 'UNSUPPORTED_LANGUAGE',
    message: `${showValue(value)} is not a language the speech engine supports`,
  };
}

/**
 * The issue of one marked option value, or undefined; values of the wrong shape are left to the
 * schema, which already reported them. Nested action lists (`actions`) are checked by the caller.
 */
export function markedValueIssue(marked: MarkedValue, ctx: OptionCheckContext): FieldIssue | undefined {
  switch (marked.check) {
    case 'address':
      return addressValidator.Check(marked.value) ? addressTargetIssue(marked.value, marked.field) : undefined;
    case 'action-ref':
      return actionRefIssue(marked.value, marked.field, false, ctx);
    case 'action-ref-or-unset':
      return actionRefIssue(marked.value, marked.field, true, ctx);
    case 'timezone':
      return timezoneIssue(marked.value, marked.field);
    case 'language':
      return languageIssue(marked.value, marked.field, ctx);
    case 'actions':
      return undefined;
  }
}
