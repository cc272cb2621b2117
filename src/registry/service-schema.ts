// The zod schema of one service as services.yaml and the admin API declare it: every field's type,
// range and cross-field rule (mock probabilities, path placeholders, query-string inputs), so the
// loader (load-file.ts) only has to run it and locate the problems.
import { z } from 'zod';
import { MOCK_OUTCOMES, SERVICE_KIND, type MockOutcome } from '../db/schema';
import { asyncBlock, asyncOperationProblems, mockCallback } from './async-schema';
import { followUpList } from './follow-up-defs';
import { hasDotSegment, isPlaceholderName, pathPlaceholders } from './path-template';
import { DEFAULT_TIMEOUT_MS, HTTP_METHODS, type JsonSchema } from './types';

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must start with a letter and use only letters, digits, _ and -');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
const positiveMs = z.number().int().positive().max(24 * 3_600_000);
const jsonSchema = z.record(z.string(), z.unknown());

/**
 * An http(s) URL that is only a location: credentials would be stored and shown with the service
 * (secrets belong in `auth`, named by environment variable), and a query or fragment would be
 * mangled when a path is appended.
 */
const locationUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).superRefine((value, ctx) => {
  const url = new URL(value);
  if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry a user name or password (use auth)' });
  if (value.includes('?')) ctx.addIssue({ code: 'custom', message: 'must not have a query string' });
  if (value.includes('#')) ctx.addIssue({ code: 'custom', message: 'must not have a fragment' });
  if (hasDotSegment(url.pathname)) ctx.addIssue({ code: 'custom', message: 'must not have "." or ".." segments' });
});

/** Accepted by the schema once so the message can say why, instead of "unrecognized key". */
const notSupportedYet = z.never({ error: 'is not supported yet: remove it (the gateway would silently ignore it)' }).optional();

const retry = z.strictObject({
  maxAttempts: z.number().int().min(1).max(100).optional(),
  backoff: z.enum(['exponential', 'fixed']).optional(),
  initialDelayMs: z.number().int().min(0).max(3_600_000).optional(),
  maxDelayMs: z.number().int().min(0).max(24 * 3_600_000).optional(),
});

const breaker = z.strictObject({
  errorThresholdPercentage: z.number().min(1).max(100).optional(),
  volumeThreshold: z.number().int().min(1).optional(),
  resetTimeoutMs: z.number().int().min(100).optional(),
});

const auth = z.union([
  z.strictObject({ bearerTokenEnv: envName }),
  z.strictObject({ apiKeyHeader: z.strictObject({ name: z.string().regex(/^[A-Za-z0-9-]+$/), valueEnv: envName }) }),
  z.strictObject({ basic: z.strictObject({ usernameEnv: envName, passwordEnv: envName }) }),
  z.strictObject({
    oauth2ClientCredentials: z.strictObject({
      tokenUrl: locationUrl,
      clientIdEnv: envName,
      clientSecretEnv: envName,
      scope: z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'must be space-separated scope tokens').optional(),
    }),
  }),
]);

const latencyRange = z
  .tuple([z.number().int().min(0), z.number().int().min(0)])
  .refine(([min, max]) => min <= max, 'must be [min, max] with min <= max');

/** Which outcomes read which optional fields; such a field on any other outcome is a mistake. */
type OutcomeField = 'status' | 'body' | 'retryAfterSeconds';
const OUTCOME_FIELDS: Readonly<Record<OutcomeField, readonly MockOutcome[]>> = {
  status: ['error'],
  body: ['error', 'rate_limited'],
  retryAfterSeconds: ['rate_limited'],
};

const mockScenario = z
  .strictObject({
    probability: z.number().min(0).max(1),
    latencyMs: latencyRange.optional(),
    outcome: z.enum(MOCK_OUTCOMES),
    status: z.number().int().min(500).max(599).optional(),
    body: z.unknown().optional(),
    retryAfterSeconds: z.number().min(0).max(86_400).optional(),
  })
  .superRefine((sc, ctx) => {
    for (const field of Object.keys(OUTCOME_FIELDS) as OutcomeField[]) {
      const outcomes = OUTCOME_FIELDS[field];
      if (sc[field] !== undefined && !outcomes.includes(sc.outcome)) {
        ctx.addIssue({ code: 'custom', path: [field], message: `applies only to outcome ${outcomes.join(' or ')}` });
      }
    }
  });

/** Rounding slack, so 0.1 + 0.2 + 0.7 still counts as 1. */
const PROBABILITY_EPSILON = 1e-9;

const mock = z
  .strictObject({
    latencyMs: latencyRange.optional(),
    errorRate: z.number().min(0).max(1).optional(),
    scenarios: z.array(mockScenario).optional(),
    response: z.unknown().optional(),
    callback: mockCallback.optional(),
  })
  .superRefine((m, ctx) => {
    const scenarios = (m.scenarios ?? []).reduce((sum, sc) => sum + sc.probability, 0);
    const total = scenarios + (m.errorRate ?? 0);
    if (total > 1 + PROBABILITY_EPSILON) {
      const what = m.errorRate ? 'probabilities plus errorRate' : 'probabilities';
      ctx.addIssue({ code: 'custom', path: ['scenarios'], message: `${what} add up to ${Number(total.toFixed(6))}, more than 1` });
    }
  });

const operation = z.strictObject({
  name,
  method: z.enum(HTTP_METHODS).default('POST'),
  path: z
    .string()
    .startsWith('/', 'must start with "/"')
    .regex(/^[^\s\\#\x00-\x1f\x7f]*$/, 'must not contain whitespace, control characters, "\\" or "#"')
    .refine((p) => !hasDotSegment(p), 'must not have "." or ".." segments')
    .default('/'),
  input: jsonSchema.optional(),
  output: jsonSchema.optional(),
  timeoutMs: positiveMs.optional(),
  retry: retry.optional(),
  maxAgeMs: positiveMs.optional(),
  mock: mock.optional(),
  async: asyncBlock.optional(),
  onSuccess: followUpList.optional(),
  onFailure: followUpList.optional(),
});

export const serviceSchema = z
  .strictObject({
    name,
    kind: z.enum(SERVICE_KIND),
    baseUrl: locationUrl.optional(),
    auth: auth.optional(),
    timeoutMs: positiveMs.default(DEFAULT_TIMEOUT_MS),
    retry: retry.optional(),
    breaker: breaker.optional(),
    concurrency: notSupportedYet,
    rateLimitPerSecond: notSupportedYet,
    operations: z.array(operation).min(1, 'must list at least one operation'),
  })
  .superRefine((s, ctx) => {
    if (s.kind === 'http' && !s.baseUrl) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'is required for kind http' });
    const seen = new Set<string>();
    s.operations.forEach((op, i) => {
      if (seen.has(op.name)) ctx.addIssue({ code: 'custom', path: ['operations', i, 'name'], message: 'is a duplicate' });
      seen.add(op.name);
      for (const problem of pathProblems(op.path, op.input)) ctx.addIssue({ code: 'custom', path: ['operations', i, 'path'], message: problem });
      for (const problem of asyncOperationProblems(op)) ctx.addIssue({ code: 'custom', path: ['operations', i, ...problem.path], message: problem.message });
      if (s.kind === 'http' && QUERY_METHODS.has(op.method)) {
        for (const problem of queryProblems(op.input)) ctx.addIssue({ code: 'custom', path: ['operations', i, 'input', ...problem.path], message: problem.message });
      }
    });
  });

/** Their input goes into the query string, which holds scalars only. */
const QUERY_METHODS: ReadonlySet<string> = new Set(['GET', 'DELETE']);
const SCALAR_TYPES: ReadonlySet<unknown> = new Set(['string', 'number', 'integer', 'boolean', 'null']);
/** A path segment holds text; an object or array would have to be flattened in a way no API expects. */
const SEGMENT_TYPES: ReadonlySet<unknown> = new Set(['string', 'number', 'integer']);

/** Every `{name}` must be a well-formed name and a property of the input schema, so callService checks it. */
function pathProblems(path: string, input: JsonSchema | undefined): string[] {
  const properties = propertiesOf(input);
  return pathPlaceholders(path).flatMap((name) => {
    if (!isPlaceholderName(name)) return [`placeholder "{${name}}" is not a valid name`];
    const property = properties?.[name];
    if (property === undefined) return [`placeholder "{${name}}" is not a property of the operation's input schema`];
    const types = typesOf(property);
    if (types && !types.every((t) => SEGMENT_TYPES.has(t))) return [`placeholder "{${name}}" must be a string, number or integer property`];
    return [];
  });
}

/** Properties (declared or additional) that may hold an object or array, which a query string would drop. */
function queryProblems(input: JsonSchema | undefined): Array<{ path: string[]; message: string }> {
  const message = 'must be a string, number, integer, boolean or null (a GET or DELETE sends its input as a query string)';
  const problems = Object.entries(propertiesOf(input) ?? {})
    .filter(([, schema]) => !isScalarSchema(schema))
    .map(([key]) => ({ path: ['properties', key], message }));
  const extra = input?.additionalProperties;
  if (typeof extra === 'object' && extra !== null && !isScalarSchema(extra)) problems.push({ path: ['additionalProperties'], message });
  return problems;
}

function isScalarSchema(schema: unknown): boolean {
  const types = typesOf(schema);
  if (types) return types.every((t) => SCALAR_TYPES.has(t));
  const s = schema as { enum?: unknown; const?: unknown } | null;
  if (Array.isArray(s?.enum)) return s.enum.every((v) => v === null || typeof v !== 'object');
  return s !== null && typeof s === 'object' && 'const' in s && (s.const === null || typeof s.const !== 'object');
}

function typesOf(schema: unknown): unknown[] | undefined {
  const type = (schema as { type?: unknown } | null)?.type;
  if (type === undefined) return undefined;
  return Array.isArray(type) ? type : [type];
}

function propertiesOf(schema: JsonSchema | undefined): Record<string, unknown> | undefined {
  const properties = schema?.properties;
  return typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : undefined;
}
