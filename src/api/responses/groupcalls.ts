import type { ResponseMap } from './response-map.ts';

/** `/groupcalls`: answered by the schemas its routes declare. */
export const groupcallResponses: ResponseMap = {};
