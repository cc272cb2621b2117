// The admin API's service definition: the ServiceDefinitionInput type registerService and
// updateService take, and its check by the registry's own file validator plus the tenant's rules.
import { MOCK_TEMPLATES, mockTemplate } from '../clients/mock-templates';
import { parseServiceDefinition, type ServiceDef } from '../registry';
import { forbiddenCallbackEnvNames, forbiddenEnvNames, tenantSecretPrefix } from '../registry/tenant-secrets';
import { builder } from './builder';
import { plainJson } from './call-service';
import type { GraphQLContext } from './context';
import { HttpMethodEnum, ServiceKindEnum } from './service';

export type Invalid = { kind: 'invalid'; problems: string[]; message: string };

const OperationInput = builder.inputType('ServiceOperationInput', {
  description: 'As an operation in the services file; JSON fields take the same objects.',
  fields: (t) => ({
    name: t.string({ required: true }),
    method: t.field({ type: HttpMethodEnum, description: '@default POST' }),
    path: t.string({ description: 'Like /charges/{chargeId}; each {name} must be a property of the input schema. @default /' }),
    input: t.field({ type: 'JSON', description: 'JSON Schema of the job input.' }),
    output: t.field({ type: 'JSON', description: 'JSON Schema the response must match.' }),
    timeoutMs: t.int(),
    retry: t.field({ type: 'JSON' }),
    maxAgeMs: t.int(),
    mock: t.field({ type: 'JSON', description: 'How the mock answers: latencyMs, scenarios, response, callback (async operations).' }),
    async: t.field({
      type: 'JSON',
      description: 'Makes the operation async: { correlationField, callbackField | callbackHeader, timeout, verify, result }, as in the services file.',
    }),
    mockTemplate: t.string({ description: 'A mockTemplates id: its mock (and its input schema, unless given) for this operation.' }),
    onSuccess: t.field({
      type: ['JSON'],
      description: 'Follow-ups when a job succeeds: { service, operation, input } each, input a template as in the services file.',
    }),
    onFailure: t.field({ type: ['JSON'], description: 'Follow-ups when a job fails, times out or expires (not when cancelled).' }),
  }),
});

export const ServiceInput = builder.inputType('ServiceDefinitionInput', {
  description: 'As a service in the services file (concurrency and rateLimitPerSecond are not supported yet).',
  fields: (t) => ({
    name: t.string({ required: true }),
    kind: t.field({ type: ServiceKindEnum, required: true }),
    baseUrl: t.string({ description: 'Required for HTTP. Calls go through the SSRF guard (CALLGATE_OUTBOUND_ALLOW).' }),
    auth: t.field({ type: 'JSON', description: 'Names environment variables, never a secret: { bearerTokenEnv: "X" } and the like.' }),
    timeoutMs: t.int(),
    retry: t.field({ type: 'JSON' }),
    breaker: t.field({ type: 'JSON' }),
    mockTemplate: t.string({ description: 'A mockTemplates id: the service gets that template\'s operation (give no operations).' }),
    operations: t.field({ type: [OperationInput] }),
  }),
});

type DefinitionInput = typeof ServiceInput.$inferInput;

/**
 * The definition as the file would hold it (nulls are absent keys there), mock templates expanded,
 * and what was wrong with the templates named.
 */
function definitionOf(input: DefinitionInput): { raw: unknown; problems: string[] } {
  const { mockTemplate: serviceTemplate, operations, ...service } = withoutNulls(input);
  const where = (op?: string) => `service "${input.name}"${op ? `, operation "${op}"` : ''}, field "mockTemplate"`;
  const problems: string[] = [];
  const template = (id: string, op?: string) => {
    const found = mockTemplate(id);
    if (!found) problems.push(`${where(op)}: unknown template "${id}"; one of ${MOCK_TEMPLATES.map((m) => m.id).join(', ')}`);
    return found;
  };
  let ops = (operations ?? []).map((o) => {
    const { mockTemplate: id, ...op } = withoutNulls(o);
    const found = typeof id === 'string' ? template(id, op.name) : undefined;
    return found ? { ...op, input: op.input ?? found.input, mock: op.mock ?? found.mock } : op;
  });
  if (typeof serviceTemplate === 'string') {
    if (ops.length > 0) problems.push(`${where()}: gives operations too; put mockTemplate on an operation instead`);
    const found = template(serviceTemplate);
    if (found) ops = [{ name: found.operation, input: found.input, mock: found.mock }];
  }
  const raw = plainJson({ ...service, ...(operations || serviceTemplate ? { operations: ops } : {}) });
  return { raw, problems };
}

/** Top-level nulls only: a null inside a JSON Schema or a mock body means null. */
function withoutNulls<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as never;
}

export function validated(input: DefinitionInput, ctx: GraphQLContext): { def: ServiceDef } | Invalid {
  const { tenantId, registry } = ctx;
  const { raw, problems: templateProblems } = definitionOf(input);
  const parsed = parseServiceDefinition(raw, (s, o) => (o === undefined ? !!registry.service(s) : !!registry.operation(s, o)));
  const notTheirs = `is not this tenant's; name variables ${tenantSecretPrefix(tenantId)}*`;
  const secretProblems =
    'def' in parsed
      ? [
          ...forbiddenEnvNames(parsed.def.auth, tenantId).map((name) => `service "${parsed.def.name}", field "auth": ${name} ${notTheirs}`),
          ...forbiddenCallbackEnvNames(parsed.def, tenantId).map(
            ({ operation, name }) => `service "${parsed.def.name}", operation "${operation}", field "async.verify": ${name} ${notTheirs}`,
          ),
        ]
      : [];
  const problems = [...templateProblems, ...('problems' in parsed ? parsed.problems : []), ...secretProblems];
  if ('def' in parsed && problems.length === 0) return { def: { ...parsed.def, source: 'api' } };
  return { kind: 'invalid', problems, message: `invalid service: ${problems.join('; ')}` };
}
