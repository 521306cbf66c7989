import { ACTION_TYPES } from './actions/action-types.ts';
import { actionDefinition } from './actions/registry.ts';

type JsonObject = Record<string, unknown>;

const UUID_SCHEMA = {
  type: 'string',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
} as const;

/** Plain JSON of a TypeBox schema, with nested action lists pointing back at the document root. */
function plainOptionSchema(schema: unknown): JsonObject {
  const json = JSON.parse(JSON.stringify(schema)) as JsonObject;
  pointNestedListsAtRoot(json);
  return json;
}

function pointNestedListsAtRoot(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  const object = node as JsonObject;
  if (object['x-check'] === 'actions') object['items'] = { $ref: '#' };
  for (const child of Object.values(object)) pointNestedListsAtRoot(child);
}

function actionEntry(type: (typeof ACTION_TYPES)[number]): JsonObject {
  const definition = actionDefinition(type);
  return {
    title: type,
    type: 'object',
    properties: {
      id: { ...UUID_SCHEMA, description: "this action's id; a fresh UUID when omitted" },
      next_id: { type: 'string', description: 'id of the action that runs next; the following action when omitted' },
      type: { const: type },
      option: plainOptionSchema(definition.schema),
    },
    required: ['type'],
    additionalProperties: false,
    'x-needs': definition.needs,
  };
}

/**
 * The JSON Schema (draft 2020-12) of one flow action: a `oneOf` with one entry per action type,
 * each `{id?, next_id?, type: const, option}`; served to editors and SDKs as the flows schema.
 */
export function flowsJsonSchema(): JsonObject {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'callbin flow action',
    description: "One action of a flow; a flow's actions are an array of these.",
    oneOf: ACTION_TYPES.map((type) => actionEntry(type)),
  };
}
