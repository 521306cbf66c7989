import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTION_TYPES } from './actions/action-types.ts';
import { flowsJsonSchema } from './flows-json-schema.ts';

interface Entry {
  properties: {
    type: { const: string };
    option: { type: string; additionalProperties: boolean; properties: Record<string, { items?: unknown }> };
  };
}

describe('flowsJsonSchema', () => {
  it('has one oneOf entry per action type, in catalogue order', () => {
    const doc = flowsJsonSchema() as { $schema: string; oneOf: Entry[] };
    assert.equal(doc.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(
      doc.oneOf.map((e) => e.properties.type.const),
      [...ACTION_TYPES],
    );
  });

  it('describes every option object as closed and is plain JSON', () => {
    const doc = flowsJsonSchema() as { oneOf: Entry[] };
    for (const entry of doc.oneOf) {
      assert.equal(entry.properties.option.type, 'object');
      assert.equal(entry.properties.option.additionalProperties, false);
    }
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
  });

  it('points call.actions back at the action schema itself', () => {
    const doc = flowsJsonSchema() as { oneOf: Entry[] };
    const call = doc.oneOf.find((e) => e.properties.type.const === 'call');
    assert.deepEqual(call?.properties.option.properties['actions']?.items, { $ref: '#' });
  });
});
