// A checker of flow actions against the JSON Schema `GET /flows/schema` serves (docs/flows.md): the
// keywords that schema uses (oneOf by the action's `type`, `$ref: "#"`, types, enum/const, required,
// properties/patternProperties/additionalProperties, items, lengths, ranges, patterns). The API
// checks again on save; this only marks mistakes in the editor before that.

const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
const isType = (v, t) => t === typeOf(v) || (t === 'number' && typeof v === 'number');

function check(v, s, root, path, out) {
  if (s.$ref === '#') return checkAction(v, root, path, out);
  if (s.oneOf || s.anyOf) {
    const branches = s.oneOf ?? s.anyOf;
    if (!branches.some((b) => (check(v, b, root, path, []), errorsOf(v, b, root, path).length === 0)))
      out.push({ path, message: 'matches none of the allowed forms' });
    return;
  }
  const types = s.type === undefined ? [] : [].concat(s.type);
  if (types.length && !types.some((t) => isType(v, t))) {
    out.push({ path, message: `must be ${types.join(' or ')}` });
    return;
  }
  if (s.const !== undefined && v !== s.const) out.push({ path, message: `must be ${JSON.stringify(s.const)}` });
  if (s.enum && !s.enum.includes(v)) out.push({ path, message: `must be one of ${s.enum.join(', ')}` });
  if (typeof v === 'string') {
    if (s.minLength !== undefined && v.length < s.minLength)
      out.push({ path, message: `at least ${s.minLength} characters` });
    if (s.maxLength !== undefined && v.length > s.maxLength)
      out.push({ path, message: `at most ${s.maxLength} characters` });
    if (s.pattern && !v.includes('${') && !new RegExp(s.pattern).test(v))
      out.push({ path, message: `does not match ${s.pattern}` });
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) out.push({ path, message: `at least ${s.minimum}` });
    if (s.maximum !== undefined && v > s.maximum) out.push({ path, message: `at most ${s.maximum}` });
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push({ path, message: `at least ${s.minItems} items` });
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ path, message: `at most ${s.maxItems} items` });
    if (s.items) v.forEach((item, i) => check(item, s.items, root, `${path}[${i}]`, out));
  }
  if (typeOf(v) === 'object') {
    for (const k of s.required ?? []) if (!(k in v)) out.push({ path: `${path}.${k}`, message: 'is required' });
    for (const [k, w] of Object.entries(v)) {
      const p = `${path}.${k}`;
      const own = s.properties?.[k];
      const byPattern = Object.entries(s.patternProperties ?? {}).find(([re]) => new RegExp(re).test(k));
      if (own) check(w, own, root, p, out);
      else if (byPattern) check(w, byPattern[1], root, p, out);
      else if (s.additionalProperties === false) out.push({ path: p, message: 'is not a known field' });
      else if (typeof s.additionalProperties === 'object') check(w, s.additionalProperties, root, p, out);
    }
  }
}

function errorsOf(v, s, root, path) {
  const out = [];
  check(v, s, root, path, out);
  return out;
}

function checkAction(v, root, path, out) {
  if (typeOf(v) !== 'object') return out.push({ path, message: 'an action must be an object' });
  const branch = root.oneOf.find((b) => b.properties?.type?.const === v.type);
  if (!branch) return out.push({ path: `${path}.type`, message: `unknown action type ${JSON.stringify(v.type)}` });
  check(v, branch, root, path, out);
}

/** Issues `{path, message}` of a flow's `actions` (paths like `actions[1].option.text`), at most 50. */
export function checkActions(actions, schema) {
  if (!Array.isArray(actions)) return [{ path: 'actions', message: 'must be an array of actions' }];
  const out = [];
  actions.forEach((a, i) => checkAction(a, schema, `actions[${i}]`, out));
  return out.slice(0, 50);
}
