import type { TSchema } from 'typebox';
import { compileValidator } from '../validation.ts';
import { rootPlugin } from './root-plugin.ts';

/**
 * Route schemas compiled by `compileValidator` (TypeBox); a failure is a `ValidationError` with
 * field-level details. Query strings and params are converted only when they fail as-is.
 */
export function schemaValidationPlugin() {
  return rootPlugin('callbin-schema-validation', (app) => {
    app.setValidatorCompiler(({ schema, httpPart }) => {
      const validate = compileValidator(schema as TSchema, '', httpPart !== 'body');
      return (data: unknown) => {
        try {
          return { value: validate(data) };
        } catch (error) {
          return { error: error as Error };
        }
      };
    });
  });
}
