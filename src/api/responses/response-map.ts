import type { TSchema } from 'typebox';

/** The answers of one operation by HTTP status, as fastify's route `schema.response` takes them. */
export interface StatusAnswers {
  responses: Record<string, unknown>;
}

/**
 * Response schemas by `METHOD path` below the API prefix (`GET /calls/:id`): a schema for the 200
 * JSON answer, or every status's answer.
 */
export type ResponseMap = Record<string, TSchema | StatusAnswers>;
