// The in-memory registry every request and job consults: service and operation lookup, and the
// compiled input validators. Live: the file's services (built once, from this instance's own file)
// plus the API's from the services table, rebuilt by reload() whenever a NOTIFY says they changed.
import { randomUUID } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import type { Db } from '../db/client';
import type { Logger } from '../logger';
import { loadApiServices, loadServiceModes } from './services';
import { DEFAULT_RETRY, type OperationDef, type RetryPolicy, type ServiceDef } from './types';
import { compileSchema, violationsOf, type Violation } from './validate-input';

export interface Registry {
  list(): readonly ServiceDef[];
  service(name: string): ServiceDef | undefined;
  operation(service: string, operation: string): OperationDef | undefined;
  /** The input's JSON-Schema violations for an operation known to exist; [] when valid. */
  validateInput(service: string, operation: string, input: unknown): Violation[];
  /** The same for a response body against the operation's output schema. */
  validateOutput(service: string, operation: string, output: unknown): Violation[];
  /** The timeout of one attempt: the operation's, else the service's. */
  timeoutMs(service: ServiceDef, operation: OperationDef): number;
  /** The retry policy: the operation's settings over the service's over DEFAULT_RETRY. */
  retryPolicy(service: ServiceDef, operation: OperationDef): Required<RetryPolicy>;
  /** The longest attempt timeout of any operation: the lease of a job accepted before per-job leases (queue/claim.ts). */
  longestTimeoutMs(): number;
}

export interface LiveRegistry extends Registry {
  /** Re-reads the API's services and the mode switches; the file's part stays as built. */
  reload(db: Db): Promise<void>;
  /**
   * Names this registry in the NOTIFY of each write made through it (registry/services.ts): the
   * writer reloads at once, so its own follower skips that message and reloads once, not twice.
   */
  readonly origin: string;
  /** What one tenant may see and call: the file's services and its own. */
  forTenant(tenantId: string): LiveRegistry;
}

export function createRegistry(defs: readonly ServiceDef[]): Registry {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const inputs = new Map<string, ValidateFunction>();
  const outputs = new Map<string, ValidateFunction>();
  const key = (s: string, o: string) => `${s}\u0000${o}`;
  for (const s of defs) {
    for (const op of s.operations) {
      if (op.input) inputs.set(key(s.name, op.name), compileSchema(op.input));
      if (op.output) outputs.set(key(s.name, op.name), compileSchema(op.output));
    }
  }
  const check = (validators: Map<string, ValidateFunction>, service: string, operation: string, value: unknown) => {
    const validate = validators.get(key(service, operation));
    return validate ? violationsOf(validate, value) : [];
  };
  const timeoutMs = (service: ServiceDef, operation: OperationDef) => operation.timeoutMs ?? service.timeoutMs;
  const longest = Math.max(0, ...defs.flatMap((s) => s.operations.map((o) => timeoutMs(s, o))));
  return {
    list: () => defs,
    service: (name) => byName.get(name),
    operation: (service, operation) => byName.get(service)?.operations.find((o) => o.name === operation),
    validateInput: (service, operation, input) => check(inputs, service, operation, input),
    validateOutput: (service, operation, output) => check(outputs, service, operation, output),
    timeoutMs,
    retryPolicy: (service, operation) => ({ ...DEFAULT_RETRY, ...service.retry, ...operation.retry }),
    longestTimeoutMs: () => longest,
  };
}

/** The registry of a running gateway: the file's services, then the API's as `reload` finds them. */
export async function loadRegistry(db: Db, fileDefs: readonly ServiceDef[], log: Logger): Promise<LiveRegistry> {
  let current = createRegistry(fileDefs);
  const origin = randomUUID();
  /** Reloads run one at a time, so an older read can never replace a newer one. */
  let reloading: Promise<void> = Promise.resolve();

  async function rebuild(db: Db): Promise<void> {
    const { defs, shadowed } = await loadAllServices(db, fileDefs);
    if (shadowed.length > 0) log.warn({ services: shadowed }, 'services from the API shadowed by the file');
    current = createRegistry(defs);
  }

  const view = (visible: (s: ServiceDef) => boolean): LiveRegistry => {
    const service = (name: string) => {
      const s = current.service(name);
      return s && visible(s) ? s : undefined;
    };
    return {
      list: () => current.list().filter(visible),
      service,
      operation: (s, o) => (service(s) ? current.operation(s, o) : undefined),
      validateInput: (s, o, input) => current.validateInput(s, o, input),
      validateOutput: (s, o, output) => current.validateOutput(s, o, output),
      timeoutMs: (s, o) => current.timeoutMs(s, o),
      retryPolicy: (s, o) => current.retryPolicy(s, o),
      longestTimeoutMs: () => current.longestTimeoutMs(),
      reload: (db) => (reloading = reloading.catch(() => {}).then(() => rebuild(db))),
      origin,
      forTenant: (tenantId) => view((s) => s.tenantId === undefined || s.tenantId === tenantId),
    };
  };

  const live = view(() => true);
  await live.reload(db);
  return live;
}

/**
 * The file's services and the API's, each with its mode switch. A name the operator has since put
 * in the file is the file's: the API's service of that name is left out and listed as shadowed.
 */
export async function loadAllServices(db: Db, fileDefs: readonly ServiceDef[]): Promise<{ defs: ServiceDef[]; shadowed: string[] }> {
  const [apiDefs, modes] = await Promise.all([loadApiServices(db), loadServiceModes(db)]);
  const fileNames = new Set(fileDefs.map((d) => d.name));
  const defs = [...fileDefs, ...apiDefs.filter((d) => !fileNames.has(d.name))].map((d) => {
    const mode = modes.get(d.name);
    return mode ? { ...d, mode } : d;
  });
  return { defs, shadowed: apiDefs.filter((d) => fileNames.has(d.name)).map((d) => d.name) };
}
