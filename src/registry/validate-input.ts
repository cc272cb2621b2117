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

/**
 * Compiled once per distinct schema text: a registry reload reads every API service back as new
 * objects, and ajv caches (and keeps) each schema object it compiles, so compiling by object would
 * grow the cache and redo the work on every reload.
 */
const compiled = new Map<string, ValidateFunction>();

export function compileSchema(schema: JsonSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) compiled.set(key, (validate = ajv.compile(schema)));
  return validate;
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

/**
 * JSON nested deeper than this is refused before it reaches ajv or PostgreSQL: real service
 * inputs stay under 10 levels, and a 100,000-level array (200 KB) would cost a recursive walk
 * in every reader of the job.
 */
export const MAX_INPUT_DEPTH = 32;

/**
 * What no operation's schema may allow: more than `maxBytes` of JSON, nesting past
 * MAX_INPUT_DEPTH, and strings PostgreSQL's jsonb cannot store (NUL, unpaired surrogates), which
 * would otherwise fail the INSERT as an unexpected error. Checked before the schema, so a huge or
 * hostile input costs one walk and no ajv run.
 */
export function inputShapeViolations(input: unknown, maxBytes: number): Violation[] {
  const bytes = Buffer.byteLength(JSON.stringify(input) ?? '');
  if (bytes > maxBytes) return [{ path: '/', message: `is ${bytes} bytes of JSON; at most ${maxBytes} are accepted` }];
  const violations: Violation[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: input, path: '', depth: 0 }];
  while (stack.length > 0 && violations.length < MAX_SHAPE_VIOLATIONS) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (!storableString(value)) violations.push({ path: path || '/', message: UNSTORABLE });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) {
      violations.push({ path: path || '/', message: `nests deeper than ${MAX_INPUT_DEPTH} levels` });
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!storableString(key)) violations.push({ path: childPath, message: `key ${UNSTORABLE}` });
      else stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return violations;
}

/** Enough to show what is wrong; a million bad strings are not worth a million-line answer. */
const MAX_SHAPE_VIOLATIONS = 10;
const UNSTORABLE = 'contains a NUL character or an unpaired surrogate, which cannot be stored';

const UNSTORABLE_CHARACTER = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function storableString(s: string): boolean {
  return !UNSTORABLE_CHARACTER.test(s);
}
