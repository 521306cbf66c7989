/** True when the text is SSML (the `talk` action's convention: it starts with `<speak`). */
export function isSsml(text: string): boolean {
  return /^\s*<speak[\s>/]/i.test(text);
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

/** Decodes XML character and the predefined entity references; unknown ones are dropped. */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (_, ref: string) => {
    if (ref[0] === '#') {
      const code =
        ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? '';
  });
}

/**
 * Turns SSML into the plain text to speak: comments, processing instructions and every tag are
 * removed (tag names and attributes must never be spoken), CDATA content is kept, entities are decoded.
 */
export function ssmlToText(ssml: string): string {
  const withoutMarkup = ssml
    .replace(/<!--[\s\S]*?(-->|$)/g, ' ')
    .replace(/<!\[CDATA\[([\s\S]*?)(\]\]>|$)/g, (_, body: string) =>
      body.replaceAll('&', '&amp;').replaceAll('<', '&lt;'),
    )
    .replace(/<\?[\s\S]*?(\?>|$)/g, ' ')
    .replace(/<(?:[^>"']|"[^"]*"|'[^']*')*(>|$)/g, ' ')
    // A '<' left here opens malformed markup (an unterminated quote): drop the rest rather than speak it.
    .replace(/<[\s\S]*$/, ' ');
  return decodeEntities(withoutMarkup).replace(/\s+/g, ' ').trim();
}

/** The text to give the engine: SSML reduced to plain text, whitespace collapsed. */
export function speakableText(text: string): string {
  return isSsml(text) ? ssmlToText(text) : text.replace(/\s+/g, ' ').trim();
}
