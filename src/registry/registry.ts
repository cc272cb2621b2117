// The in-memory registry every request and job consults: service and operation lookup, and the
// compiled input validators. Built from the services table so every instance sees the same set.
import type { ValidateFunction } from 'ajv';
import type { Db } from '../db/client';
import { loadActiveServices } from './services';
import type { OperationDef, ServiceDef } from './types';
import { compileSchema, violationsOf, type Violation } from './validate-input';

export interface Registry {
  list(): readonly ServiceDef[];
  service(name: string): ServiceDef | undefined;
  operation(service: string, operation: string): OperationDef | undefined;
  /** The input's JSON-Schema violations for an operation known to exist; [] when valid. */
  validateInput(service: string, operation: string, input: unknown): Violation[];
  /** The timeout of one attempt: the operation's, else the service's. */
  timeoutMs(service: ServiceDef, operation: OperationDef): number;
}

export async function loadRegistry(db: Db): Promise<Registry> {
  return createRegistry(await loadActiveServices(db));
}

export function createRegistry(defs: readonly ServiceDef[]): Registry {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const validators = new Map<string, ValidateFunction>();
  const key = (s: string, o: string) => `${s}\u0000${o}`;
  for (const s of defs) {
    for (const op of s.operations) if (op.input) validators.set(key(s.name, op.name), compileSchema(op.input));
  }
  return {
    list: () => defs,
    service: (name) => byName.get(name),
    operation: (service, operation) => byName.get(service)?.operations.find((o) => o.name === operation),
    validateInput(service, operation, input) {
      const validate = validators.get(key(service, operation));
      return validate ? violationsOf(validate, input) : [];
    },
    timeoutMs: (service, operation) => operation.timeoutMs ?? service.timeoutMs,
  };
}
