import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventTopic, parseTopic, topicMatches } from './topics.ts';

describe('stream topics', () => {
  it('parses customer, resource and resource id topics and refuses others', () => {
    assert.deepEqual(parseTopic('customer_id:c1:call'), { customerId: 'c1', text: 'customer_id:c1:call' });
    assert.equal(parseTopic('customer_id:c1:call:abc')?.customerId, 'c1');
    assert.equal(parseTopic('customer_id:c1')?.customerId, 'c1');
    for (const bad of ['call', 'customer_id:', 'customer_id:c1:Call', 'customer_id:c1:call:a:b', 42, 'agent_id:x:call'])
      assert.equal(parseTopic(bad), undefined, String(bad));
  });

  it('matches by prefix at segment boundaries only', () => {
    const full = eventTopic({ customer_id: 'c1', resource_type: 'call', resource_id: 'abc' });
    assert.equal(full, 'customer_id:c1:call:abc');
    assert.equal(topicMatches('customer_id:c1:call', full), true);
    assert.equal(topicMatches('customer_id:c1:call:abc', full), true);
    assert.equal(topicMatches('customer_id:c1', full), true);
    assert.equal(topicMatches('customer_id:c1:ca', full), false);
    assert.equal(topicMatches('customer_id:c1:call:ab', full), false);
    assert.equal(topicMatches('customer_id:c1:activeflow', full), false);
  });
});
