import { ApiError } from '../errors.ts';
import { MAX_BODY_DEPTH, jsonDeeperThan } from '../validation.ts';
import { rootPlugin } from './root-plugin.ts';

/**
 * JSON bodies are checked for nesting depth before they are parsed (400 BODY_TOO_DEEP), and a
 * `__proto__` or `constructor.prototype` key is a 400 FORBIDDEN_KEY, not MALFORMED_JSON. An empty
 * body labelled JSON is `{}`: generated VoIPBIN clients send one with every body-less POST and
 * DELETE (`hold`, `hangup`, …); any other text that does not parse stays 400 MALFORMED_JSON. The
 * size limit is the server's `bodyLimit`.
 */
export function jsonBodyPlugin() {
  return rootPlugin('callbin-json-body', (app) => {
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      const text = body as string;
      if (text.length === 0) {
        done(null, {});
        return;
      }
      if (jsonDeeperThan(text, MAX_BODY_DEPTH)) {
        done(
          new ApiError('BODY_TOO_DEEP', `the body nests arrays and objects more than ${MAX_BODY_DEPTH} deep`),
          undefined,
        );
        return;
      }
      parseJson(req, text, (err, value) => {
        if (err && text.length > 0 && isJson(text)) {
          done(new ApiError('FORBIDDEN_KEY', 'the body has a "__proto__" or "constructor.prototype" key'), undefined);
        } else {
          done(err, value);
        }
      });
    });
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
