// Reads and validates services.yaml into ServiceDefs, and a service sent to the admin API by the
// same rules (service-schema.ts). Every problem names the service, operation and field it concerns,
// so whoever fixes the definition knows where to look.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { unknownTargets } from './follow-up-defs';
import { serviceSchema } from './service-schema';
import type { ServiceDef } from './types';
import { compileSchema } from './validate-input';

export class RegistryFileError extends Error {
  override name = 'RegistryFileError';
}

const file = z.strictObject({ services: z.array(serviceSchema).min(1, 'lists no service (an empty file would remove every service)') }).superRefine((f, ctx) => {
  const seen = new Set<string>();
  f.services.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: 'is a duplicate' });
    seen.add(s.name);
  });
  // The file's services serve every tenant, so their follow-ups may only name the file's own.
  const exists = (service: string, operation?: string) => {
    const s = f.services.find((d) => d.name === service);
    return s !== undefined && (operation === undefined || s.operations.some((o) => o.name === operation));
  };
  f.services.forEach((s, i) => {
    for (const issue of unknownTargets(s, exists)) ctx.addIssue({ code: 'custom', path: ['services', i, ...issue.path], message: issue.message });
  });
});

export async function loadServicesFile(path: string): Promise<ServiceDef[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RegistryFileError(`${path}: cannot read the services file (${(err as Error).message}); set CALLGATE_SERVICES_FILE`);
  }
  return parseServices(text, path);
}

export function parseServices(text: string, source = 'services.yaml'): ServiceDef[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new RegistryFileError(`${source}: not valid YAML: ${(err as Error).message}`);
  }
  if (raw === null || raw === undefined) {
    throw new RegistryFileError(`${source}: is empty; list the services under "services:" (an empty file would remove every service)`);
  }
  const parsed = file.safeParse(raw);
  const problems = parsed.success
    ? parsed.data.services.flatMap(schemaProblems)
    : parsed.error.issues.map((i) => `${where(raw, i.path)}: ${i.message}`);
  if (problems.length > 0) throw new RegistryFileError(`${source}: ${problems.join('; ')}`);
  return parsed.data!.services;
}

/**
 * One service as the admin API receives it, checked exactly as a service of the file is: the same
 * schema, the same compiled JSON Schemas, the same located messages (without the file's name).
 */
export function parseServiceDefinition(raw: unknown, registered: OperationLookup): { def: ServiceDef } | { problems: string[] } {
  const located = (issues: Array<{ path: PropertyKey[]; message: string }>) =>
    issues.map((i) => `${where({ services: [raw] }, ['services', 0, ...i.path])}: ${i.message}`);
  const parsed = serviceSchema.safeParse(raw);
  if (!parsed.success) return { problems: located(parsed.error.issues) };
  const def = parsed.data;
  // A follow-up names this very service (as it is being written) or one the tenant can already call.
  const exists: OperationLookup = (s, o) =>
    s === def.name ? o === undefined || def.operations.some((op) => op.name === o) : registered(s, o);
  const problems = [...schemaProblems(def), ...located(unknownTargets(def, exists))];
  return problems.length > 0 ? { problems } : { def };
}

/** Whether a service (and, when named, its operation) exists for whoever is registering. */
type OperationLookup = (service: string, operation?: string) => boolean;

/** The input and output schemas that ajv cannot compile: checked here so that no job ever meets one. */
function schemaProblems(s: ServiceDef): string[] {
  return s.operations.flatMap((op) =>
    (['input', 'output'] as const).flatMap((field) => {
      const schema = op[field];
      if (!schema) return [];
      try {
        compileSchema(schema);
        return [];
      } catch (err) {
        return [`service "${s.name}", operation "${op.name}", field "${field}": not a valid JSON Schema: ${(err as Error).message}`];
      }
    }),
  );
}

/** Turns a zod path like services.1.operations.0.path into `service "x", operation "y", field "path"`. */
function where(raw: unknown, path: PropertyKey[]): string {
  const parts: string[] = [];
  const services = (raw as { services?: unknown[] } | null)?.services;
  const [, si, opKey, oi, ...rest] = path;
  if (typeof si !== 'number') return `field "${path.map(String).join('.') || '(root)'}"`;
  const svc = services?.[si] as { name?: unknown; operations?: unknown[] } | undefined;
  parts.push(`service "${typeof svc?.name === 'string' ? svc.name : `#${si + 1}`}"`);
  let field = [opKey, oi, ...rest];
  if (opKey === 'operations' && typeof oi === 'number') {
    const op = svc?.operations?.[oi] as { name?: unknown } | undefined;
    parts.push(`operation "${typeof op?.name === 'string' ? op.name : `#${oi + 1}`}"`);
    field = rest;
  }
  const fieldPath = field.filter((p) => p !== undefined).map(String).join('.');
  if (fieldPath) parts.push(`field "${fieldPath}"`);
  return parts.join(', ');
}
