// `callgate services list | show NAME`: the registry as a gateway with this configuration builds it
// (the services file's, plus those registered through the API), with the effective timeouts,
// retry policies and breaker settings a worker would use, async callbacks and follow-ups.
import type { AsyncConfig } from '../db/schema';
import {
  createRegistry,
  loadAllServices,
  loadServicesFile,
  type AuthConfig,
  type BreakerConfig,
  type RetryPolicy,
  type ServiceDef,
} from '../registry';
import { DEFAULT_BREAKER } from '../worker/breakers';
import { notFound, type Command, type CommandContext } from './command';
import { NONE, renderFields, renderTable } from './table';

const REGISTRY_NOTE =
  'Shows the services of CALLGATE_SERVICES_FILE and those registered through the API (every tenant\'s). ' +
  ' Live breaker states exist only inside a running gateway: query `services` in GraphQL for them.';

/** A service with every default applied, as `services show` prints it and --json returns it. */
function effectiveView(service: ServiceDef) {
  const registry = createRegistry([service]);
  return {
    name: service.name,
    kind: service.kind,
    baseUrl: service.baseUrl ?? null,
    auth: service.auth ?? null,
    timeoutMs: service.timeoutMs,
    breaker: { ...DEFAULT_BREAKER, ...service.breaker },
    concurrency: service.concurrency ?? null,
    rateLimitPerSecond: service.rateLimitPerSecond ?? null,
    operations: service.operations.map((op) => ({
      name: op.name,
      method: op.method,
      path: op.path,
      timeoutMs: registry.timeoutMs(service, op),
      retry: registry.retryPolicy(service, op),
      maxAgeMs: op.maxAgeMs ?? null,
      inputSchema: op.input ?? null,
      outputSchema: op.output ?? null,
      async: op.async ?? null,
      onSuccess: op.onSuccess ?? [],
      onFailure: op.onFailure ?? [],
    })),
  };
}

/** Names the environment variables a secret comes from; the secrets themselves never leave the gateway. */
function describeAuth(auth: AuthConfig | null): string {
  if (!auth) return 'none';
  if ('bearerTokenEnv' in auth) return `bearer token from $${auth.bearerTokenEnv}`;
  if ('apiKeyHeader' in auth) return `header ${auth.apiKeyHeader.name} from $${auth.apiKeyHeader.valueEnv}`;
  if ('basic' in auth) return `basic from $${auth.basic.usernameEnv} and $${auth.basic.passwordEnv}`;
  const o = auth.oauth2ClientCredentials;
  return `OAuth2 client credentials from ${o.tokenUrl} with $${o.clientIdEnv} and $${o.clientSecretEnv}`;
}

/** Where the return address goes and how a callback is checked; the secret by its variable's name only. */
function describeAsync(a: AsyncConfig): string {
  const address = a.callbackField ? `body field ${a.callbackField}` : `header ${a.callbackHeader}`;
  const correlation = a.correlationField ? `, correlation id in ${a.correlationField}` : '';
  const verify = 'standardWebhooks' in a.verify ? `Standard Webhooks with $${a.verify.standardWebhooks.secretEnv}` : `HMAC ${a.verify.hmac.header} with $${a.verify.hmac.secretEnv}`;
  return `waits up to ${a.timeout} for a callback (${verify}); return address in ${address}${correlation}`;
}

function describeRetry(r: Required<RetryPolicy>): string {
  return `${r.maxAttempts} attempts, ${r.backoff} ${r.initialDelayMs}..${r.maxDelayMs} ms`;
}

function describeBreaker(b: Required<BreakerConfig>): string {
  return `opens at ${b.errorThresholdPercentage}% failures of at least ${b.volumeThreshold} calls, probes after ${b.resetTimeoutMs} ms`;
}

function showText(view: ReturnType<typeof effectiveView>): string {
  const fields = renderFields([
    ['service', view.name],
    ['kind', view.kind],
    ['base url', view.baseUrl ?? NONE],
    ['auth', describeAuth(view.auth)],
    ['timeout', `${view.timeoutMs} ms`],
    ['breaker', describeBreaker(view.breaker)],
    ['concurrency', view.concurrency === null ? 'unlimited' : String(view.concurrency)],
    ['rate limit', view.rateLimitPerSecond === null ? 'none' : `${view.rateLimitPerSecond}/s`],
  ]);
  const operations = renderTable(
    [{ header: 'OPERATION' }, { header: 'METHOD' }, { header: 'PATH' }, { header: 'TIMEOUT' }, { header: 'RETRY' }],
    view.operations.map((op) => [op.name, op.method, op.path, `${op.timeoutMs} ms`, describeRetry(op.retry)]),
  );
  const behaviour = view.operations.flatMap((op) => [
    ...(op.async ? [`${op.name} async: ${describeAsync(op.async)}`] : []),
    ...(['onSuccess', 'onFailure'] as const).flatMap((when) =>
      op[when].length ? [`${op.name} ${when}: ${op[when].map((f) => `${f.service}.${f.operation}`).join(', ')}`] : [],
    ),
  ]);
  const schemas = view.operations.flatMap((op) => [
    ...(op.inputSchema ? [`${op.name} input schema:\n${indent(JSON.stringify(op.inputSchema, null, 2))}`] : []),
    ...(op.outputSchema ? [`${op.name} output schema:\n${indent(JSON.stringify(op.outputSchema, null, 2))}`] : []),
  ]);
  return [fields, operations, ...(behaviour.length ? [behaviour.join('\n')] : []), ...schemas].join('\n\n');
}

/** Every service a gateway started with this configuration would serve, by name. */
export async function registeredServices(ctx: CommandContext): Promise<ServiceDef[]> {
  const fileDefs = await loadServicesFile(ctx.config.servicesFile);
  const { defs } = await loadAllServices((await ctx.database()).db, fileDefs);
  return defs.toSorted((a, b) => a.name.localeCompare(b.name));
}

const indent = (text: string) => text.replace(/^/gm, '  ');

export const servicesCommands: readonly Command[] = [
  {
    path: ['services', 'list'],
    summary: 'list the registered services',
    help: REGISTRY_NOTE,
    async run(_input, ctx) {
      const services = await registeredServices(ctx);
      const text = renderTable(
        [{ header: 'SERVICE' }, { header: 'KIND' }, { header: 'OPERATIONS' }, { header: 'TIMEOUT', align: 'right' }, { header: 'BASE URL' }],
        services.map((s) => [s.name, s.kind, s.operations.map((o) => o.name).join(', '), `${s.timeoutMs} ms`, s.baseUrl ?? NONE]),
      );
      return { text: services.length ? text : 'no services registered', json: services.map(effectiveView) };
    },
  },
  {
    path: ['services', 'show'],
    args: ['NAME'],
    summary: "a service's operations, schemas, retry and breaker settings",
    help: REGISTRY_NOTE,
    async run({ args: [name] }, ctx) {
      const service = (await registeredServices(ctx)).find((s) => s.name === name);
      if (!service) throw notFound(`no service named "${name}" (see \`callgate services list\`)`);
      const view = effectiveView(service);
      return { text: showText(view), json: view };
    },
  },
];
