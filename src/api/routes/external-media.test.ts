import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { streamCustomParameters as customParametersOf, streamUrlProblem as wsUrlProblem } from '../../calls/index.ts';

describe('data → custom_parameters', () => {
  it('a JSON object of strings, numbers and booleans gives its entries as strings', () => {
    assert.deepEqual(customParametersOf('{"a":"x","n":1.5,"t":false}'), { a: 'x', n: '1.5', t: 'false' });
  });
  it('"" gives none; any other string is handed over whole as data', () => {
    const over = JSON.stringify(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])));
    assert.deepEqual(customParametersOf(''), {});
    for (const data of ['hello', '[1,2]', '{"a":{"b":1}}', '{"a":null}', '42', '"s"', '{bad json', over])
      assert.deepEqual(customParametersOf(data), { data }, data);
  });
  it('32 keys is the most an object may give', () => {
    const keys = Array.from({ length: 32 }, (_, i) => `k${i}`);
    const data = JSON.stringify(Object.fromEntries(keys.map((k) => [k, k])));
    assert.deepEqual(Object.keys(customParametersOf(data)), keys);
  });
});

describe('wsUrlProblem', () => {
  it('takes ws and wss URLs with a host, and names what is wrong with any other', () => {
    for (const url of ['ws://bot.example.com', 'wss://10.0.0.1:8443/a/b?token=x', 'WSS://Bot.Example.com/'])
      assert.equal(wsUrlProblem(url), undefined, url);
    const refused: [string, RegExp][] = [
      ['http://bot.example.com/', /only ws and wss/],
      ['bot.example.com', /not an absolute URL/],
      ['ws://a:b:c/', /not an absolute URL/],
      ['wss://bot.example.com/#frag', /fragment/],
    ];
    for (const [url, problem] of refused) assert.match(wsUrlProblem(url) ?? '', problem, url);
  });
});
