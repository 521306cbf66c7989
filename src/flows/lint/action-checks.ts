import type { FlowGraph } from './flow-graph.ts';
import { hasDefaultTarget } from './flow-graph.ts';
import type { LintAction, LintContext, LintWarning } from './lint-types.ts';
import type { LintWork } from './lint-work.ts';
import { warning } from './lint-warning.ts';
import { replaceReferences } from './variable-refs.ts';
import { setVariables } from './variables-check.ts';

/** Built-in variables that hold a value whenever a call runs its flow (docs/flows.md "Variables"). */
const ALWAYS_SET = new Set(['voipbin.call.id', 'voipbin.call.direction', 'voipbin.activeflow.id', 'voipbin.flow.id']);

/** `BRANCH_WITHOUT_DEFAULT`: a value no `target_ids` key names falls through to the next action. */
export function branchWarnings(graph: FlowGraph): LintWarning[] {
  return graph.actions
    .filter((action) => action.type === 'branch' && !hasDefaultTarget(action))
    .map((action) =>
      warning(
        action,
        'BRANCH_WITHOUT_DEFAULT',
        'no default_target_id: a value none of target_ids names (or no input at all) falls through to the next action',
      ),
    );
}

/**
 * True when nothing but white space is left of a text once its `<…>` markup is set aside (from a `<`
 * to the first `>` after it), read in one pass.
 */
function isBlank(text: string, work: LintWork): boolean {
  work.add(text.length);
  let at = 0;
  for (let open = text.indexOf('<'); open !== -1; open = text.indexOf('<', at)) {
    const close = text.indexOf('>', open + 1);
    if (close === -1 || text.slice(at, open).trim() !== '') return false;
    at = close + 1;
  }
  return text.slice(at).trim() === '';
}

/** Whether a variable may read as `""` when the action runs, as far as the list shows. */
function mayBeEmpty(graph: FlowGraph, context: LintContext): (name: string) => boolean {
  const set = setVariables(graph, context);
  const preset = new Set(context.presetVariables ?? []);
  // Whether each variable_set-only name may be empty: true when one of its setters may leave it blank.
  const blankable = new Map<string, boolean>();
  for (const a of graph.actions) {
    const key = a.option['key'];
    if (a.type !== 'variable_set' || typeof key !== 'string') continue;
    const value = a.option['value'];
    const blank =
      typeof value !== 'string' ||
      isBlank(
        replaceReferences(value, () => '', graph.work),
        graph.work,
      );
    blankable.set(key, (blankable.get(key) ?? false) || blank);
  }
  return (name) => {
    if (ALWAYS_SET.has(name)) return false;
    if (name.startsWith('voipbin.') || name.startsWith('callbin.')) return true;
    if (set === undefined || preset.has(name)) return false;
    return blankable.get(name) ?? true;
  };
}

/**
 * `TALK_UNSPEAKABLE`: a `talk` the speech engine cannot say: a language or voice it lacks (each
 * check injected), or a text with nothing left to say once its variables are substituted and its
 * SSML markup is set aside.
 */
export function talkWarnings(graph: FlowGraph, context: LintContext): LintWarning[] {
  const empty = mayBeEmpty(graph, context);
  const out: LintWarning[] = [];
  for (const action of graph.actions) {
    if (action.type !== 'talk') continue;
    const { language, voice_id: voiceId, text } = action.option;
    if (typeof language === 'string' && context.isSupportedLanguage && !context.isSupportedLanguage(language))
      out.push(warning(action, 'TALK_UNSPEAKABLE', `the speech engine does not speak the language "${language}"`));
    if (typeof voiceId === 'string' && voiceId !== '' && context.isSupportedVoice && !context.isSupportedVoice(voiceId))
      out.push(
        warning(action, 'TALK_UNSPEAKABLE', `the speech engine has no voice "${voiceId}" (see GET /tts/voices)`),
      );
    if (
      typeof text === 'string' &&
      isBlank(
        replaceReferences(text, (name) => (empty(name) ? '' : 'x'), graph.work),
        graph.work,
      )
    )
      out.push(
        warning(
          action,
          'TALK_UNSPEAKABLE',
          'the text may have nothing to say: once its variables are substituted (an unset one reads as "") and its SSML markup set aside, it can be empty',
        ),
      );
  }
  return out;
}

/** The extension targets of the destinations of a `connect` or `call`. */
function extensionTargets(action: LintAction): string[] {
  if (action.type !== 'connect' && action.type !== 'call') return [];
  const destinations = action.option['destinations'];
  if (!Array.isArray(destinations)) return [];
  return destinations
    .filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object' && d.type === 'extension')
    .map((d) => (typeof d.target === 'string' ? d.target : ''))
    .filter((target) => target !== '' && !target.includes('${'));
}

/** Most distinct extensions one lint looks up, its inline lists included; the rest are not checked. */
const MAX_EXTENSION_LOOKUPS = 100;

/**
 * `UNKNOWN_EXTENSION`: a `connect` or `call` that dials an extension the customer does not have
 * (lookup injected). `known` holds the answers of the whole lint, its inline lists included.
 */
export async function extensionWarnings(
  graph: FlowGraph,
  context: LintContext,
  known: Map<string, boolean>,
): Promise<LintWarning[]> {
  const { extensionExists } = context;
  if (extensionExists === undefined) return [];
  const out: LintWarning[] = [];
  for (const action of graph.actions) {
    for (const target of extensionTargets(action)) {
      graph.work.add(1);
      let exists = known.get(target);
      if (exists === undefined && known.size >= MAX_EXTENSION_LOOKUPS) continue;
      if (exists === undefined) {
        exists = await extensionExists(target);
        known.set(target, exists);
      }
      if (!exists)
        out.push(
          warning(action, 'UNKNOWN_EXTENSION', `dials the extension "${target}", which the customer does not have`),
        );
    }
  }
  return out;
}
