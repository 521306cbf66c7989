import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSsml, speakableText, ssmlToText } from './index.ts';

describe('SSML reduction', () => {
  it('recognises SSML only when the text starts with <speak', () => {
    assert.equal(isSsml('  <speak>hi</speak>'), true);
    assert.equal(isSsml('<SPEAK version="1.0">hi</SPEAK>'), true);
    assert.equal(isSsml('1 < 2 and <speak> later'), false);
    assert.equal(isSsml('<speaker>hi'), false);
  });

  it('removes every tag, attribute, comment and processing instruction', () => {
    const text = ssmlToText(
      '<?xml version="1.0"?><speak xmlns="http://www.w3.org/2001/10/synthesis"><!-- secret --><voice name="x">Hello</voice><break time="500ms"/> <say-as interpret-as="characters">abc</say-as><emphasis level="strong">world</emphasis></speak>',
    );
    assert.equal(text, 'Hello abc world');
  });

  it('decodes entities and keeps CDATA text literally', () => {
    assert.equal(ssmlToText('<speak>Tom &amp; Jerry &lt;3 &#72;&#x69; &quot;q&quot;</speak>'), 'Tom & Jerry <3 Hi "q"');
    assert.equal(ssmlToText('<speak><![CDATA[a < b & c]]></speak>'), 'a < b & c');
  });

  it('drops malformed markup instead of speaking it', () => {
    assert.equal(ssmlToText('<speak>one <break time="1s> two'), 'one');
    assert.equal(ssmlToText('<speak>a <mark name=">"/> b</speak>'), 'a b');
  });

  it('leaves plain text alone apart from whitespace', () => {
    assert.equal(speakableText('  a <b>  c\n d '), 'a <b> c d');
  });
});
