// The in-memory registry every request and job consults: service and operation lookup, and the
// compiled input validators. Built from the services table so every instance sees the same set.
import type { ValidateFunction } from 'ajv';
import type { Db } from '../db/client';
import { loadActiveServices } from './services';
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
}

export async function loadRegistry(db: Db): Promise<Registry> {
  return createRegistry(await loadActiveServices(db));
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
  return {
    list: () => defs,
    service: (name) => byName.get(name),
    operation: (service, operation) => byName.get(service)?.operations.find((o) => o.name === operation),
    validateInput: (service, operation, input) => check(inputs, service, operation, input),
    validateOutput: (service, operation, output) => check(outputs, service, operation, output),
    timeoutMs: (service, operation) => operation.timeoutMs ?? service.timeoutMs,
    retryPolicy: (service, operation) => ({ ...DEFAULT_RETRY, ...service.retry, ...operation.retry }),
  };
}
