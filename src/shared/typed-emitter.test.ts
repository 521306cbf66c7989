import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TypedEmitter } from './typed-emitter.ts';

type Events = { tick: [number]; done: [] };

describe('TypedEmitter', () => {
  it('listenerCount follows on, off and the unsubscribe function', () => {
    const emitter = new TypedEmitter<Events>();
    assert.equal(emitter.listenerCount('tick'), 0);
    const a = (): void => {};
    const offB = emitter.on('tick', () => {});
    emitter.on('tick', a);
    assert.equal(emitter.listenerCount('tick'), 2);
    assert.equal(emitter.listenerCount('done'), 0);
    emitter.off('tick', a);
    offB();
    assert.equal(emitter.listenerCount('tick'), 0);
  });

  it('emit lets a listener error reach the caller', () => {
    const emitter = new TypedEmitter<Events>();
    emitter.on('tick', () => {
      throw new Error('boom');
    });
    assert.throws(() => emitter.emit('tick', 1), /boom/);
  });

  it('safeEmit reports a throwing listener to the handler and still calls the others', () => {
    const reported: Array<[unknown, PropertyKey]> = [];
    const emitter = new TypedEmitter<Events>({ onListenerError: (err, event) => reported.push([err, event]) });
    const heard: number[] = [];
    const boom = new Error('boom');
    emitter.on('tick', () => {
      throw boom;
    });
    emitter.on('tick', (n) => heard.push(n));
    emitter.safeEmit('tick', 7);
    assert.deepEqual(heard, [7]);
    assert.deepEqual(reported, [[boom, 'tick']]);
  });

  it('a listener that unsubscribes during safeEmit does not skip the others', () => {
    const emitter = new TypedEmitter<Events>({ onListenerError: () => assert.fail('no listener throws') });
    const heard: string[] = [];
    const off = emitter.on('done', () => {
      heard.push('first');
      off();
    });
    emitter.on('done', () => heard.push('second'));
    emitter.safeEmit('done');
    emitter.safeEmit('done');
    assert.deepEqual(heard, ['first', 'second', 'second']);
  });
});
