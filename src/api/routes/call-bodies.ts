import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { FlowSource } from '../../calls/index.ts';
import { validateFlowActions } from '../../flows/index.ts';
import { ValidationError } from '../../shared/index.ts';
import type { ApiContext } from '../context.ts';
import { Uuid } from '../schemas.ts';

/** An Address (docs/api.md); the calls domain checks the target against the type (E.164, extension, SIP). */
export const AddressBody = Type.Object(
  {
    type: Type.String({ maxLength: 16 }),
    target: Type.String({ maxLength: 256 }),
    target_name: Type.Optional(Type.String({ maxLength: 256 })),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    detail: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

const Seconds = Type.Number({ exclusiveMinimum: 0, maximum: 86_400 });

/** The flow a call runs (exactly one of `flow_id` and `actions`) and its variables. */
export const FlowFields = {
  flow_id: Type.Optional(Uuid),
  actions: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 1000 })),
  variables: Type.Optional(Type.Record(Type.String({ maxLength: 255 }), Type.String({ maxLength: 4096 }))),
};

/** `POST /calls` (docs/calls.md "Creating calls"); with both `flow_id` and `actions`, `flow_id` wins (VoIPBIN). */
export const CreateCallBody = Type.Object(
  {
    source: AddressBody,
    destinations: Type.Array(AddressBody, { minItems: 1, maxItems: 100 }),
    ...FlowFields,
    master_call_id: Type.Optional(Uuid),
    early_execution: Type.Optional(Type.Boolean()),
    // `auto` is VoIPBIN's default and callbin's default: the caller id is shown.
    anonymous: Type.Optional(Type.Enum(['yes', 'no', 'auto'])),
    metadata: Type.Optional(Type.Record(Type.String({ maxLength: 255 }), Type.Unknown())),
    dial_timeout: Type.Optional(Seconds),
    max_duration: Type.Optional(Seconds),
  },
  { additionalProperties: false },
);

/**
 * `flow_id` or inline `actions` (validated like `POST /flows`, so a bad action is 400 `INVALID_ACTION`
 * with its field path before anything is created or dialled).
 */
export function flowSourceOf(ctx: ApiContext, body: { flow_id?: string; actions?: unknown[] }): FlowSource {
  if ((body.flow_id === undefined) === (body.actions === undefined)) {
    throw ValidationError.field('flow_id', 'INVALID_ARGUMENT', 'give exactly one of flow_id and actions');
  }
  if (body.flow_id !== undefined) return { flow_id: body.flow_id };
  const langs = ctx.isSupportedLanguage ? { isSupportedLanguage: ctx.isSupportedLanguage } : {};
  return { actions: validateFlowActions(body.actions, langs) };
}

/** The flow of `POST /calls`: `flow_id` when given, even beside `actions` (VoIPBIN), else the inline actions. */
export function callFlowFields<T extends { flow_id?: string; actions?: unknown[] }>(body: T): T {
  if (body.flow_id === undefined || body.actions === undefined) return body;
  const { actions: _ignored, ...rest } = body;
  return rest as T;
}

/** Lets a control be POSTed without a body (`curl -X POST …/hangup`): absent is validated as `{}`. */
export async function emptyBodyAsObject(req: FastifyRequest): Promise<void> {
  if (req.body === undefined || req.body === null) req.body = {};
}
