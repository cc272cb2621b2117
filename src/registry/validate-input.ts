// JSON-Schema validation of job input with ajv. Validators are compiled once per schema and
// reused, since compiling costs far more than validating and callService runs on every enqueue.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from './types';

export interface Violation {
  /** JSON Pointer into the input, like `/amount`; a missing required property is pointed at. */
  path: string;
  message: string;
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false });

export function compileSchema(schema: JsonSchema): ValidateFunction {
  return ajv.compile(schema);
}

export function violationsOf(validate: ValidateFunction, input: unknown): Violation[] {
  if (validate(input)) return [];
  return (validate.errors ?? []).map(toViolation);
}

function toViolation(e: ErrorObject): Violation {
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { path: `${e.instancePath}/${missing}`, message: 'is required' };
  }
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return { path: `${e.instancePath}/${extra}`, message: 'is not allowed' };
  }
  return { path: e.instancePath || '/', message: e.message ?? 'is invalid' };
}
