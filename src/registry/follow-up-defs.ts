// The rules for a follow-up definition, wherever it comes from (services.yaml, the admin API,
// callService): its shape, its input template's syntax, and whether its target exists. One place,
// so a follow-up the file accepts is one callService accepts too.
import { z } from 'zod';
import { placeholderRoot, templatePlaceholders } from '../json-template';
import type { FollowUps, ServiceDef } from './types';
import { inputShapeViolations } from './validate-input';

/** Enough for "send the receipt, notify the ledger, update the CRM"; more is a fan-out to design, not a list. */
export const MAX_FOLLOW_UPS_PER_LIST = 5;
export const FOLLOW_UP_LISTS = ['onSuccess', 'onFailure'] as const;
export type FollowUpList = (typeof FOLLOW_UP_LISTS)[number];

/**
 * Each placeholder may copy a whole input or output into the follow-up, so their number bounds
 * how much larger than the parent a follow-up's input can get; real templates use a handful.
 */
const MAX_TEMPLATE_PLACEHOLDERS = 32;

/** What a follow-up's input template may name: the ended job's input, output, error and id. */
const ROOTS: ReadonlySet<string> = new Set(['input', 'output', 'error', 'jobId']);
/** Roots that hold a string: a path below them names nothing. */
const SCALAR_ROOTS: ReadonlySet<string> = new Set(['error', 'jobId']);

/** What is wrong with a follow-up input template's placeholders; [] when it is well formed. */
export function templateSyntaxProblems(template: unknown): string[] {
  const placeholders = templatePlaceholders(template);
  if (placeholders.length > MAX_TEMPLATE_PLACEHOLDERS) return [`has ${placeholders.length} placeholders; at most ${MAX_TEMPLATE_PLACEHOLDERS} are accepted`];
  const problems = placeholders.flatMap((expr) => {
    const root = placeholderRoot(expr);
    const at = `placeholder "{{${expr}}}"`;
    if (!ROOTS.has(root)) return [`${at} must start with input, output, error or jobId`];
    if (SCALAR_ROOTS.has(root) && expr !== root) return [`${at}: ${root} is a string and has no properties`];
    if (expr.split('.').some((part) => part === '' || /\s/.test(part))) return [`${at} has an empty or blank path segment`];
    return [];
  });
  if (strings(template).some((s) => /\{\{(?![^{}]*\}\})/.test(s))) problems.push('has "{{" without a matching "}}"');
  return [...new Set(problems)];
}

/** True when the template names only the job's input, so it can be rendered (and checked) when the job is accepted. */
export function rendersAtAccept(template: unknown): boolean {
  return templatePlaceholders(template).every((expr) => placeholderRoot(expr) === 'input');
}

const followUp = z
  .strictObject({
    service: z.string().min(1).max(64),
    operation: z.string().min(1).max(64),
    input: z.unknown().refine((v) => v !== undefined, 'is required (a template: use {} for an empty input)'),
  })
  .superRefine((f, ctx) => {
    for (const message of templateSyntaxProblems(f.input)) ctx.addIssue({ code: 'custom', path: ['input'], message });
    // Stored with every job of the operation: what jsonb cannot hold would fail each callService.
    for (const v of inputShapeViolations(f.input, Number.POSITIVE_INFINITY)) {
      ctx.addIssue({ code: 'custom', path: ['input', ...v.path.split('/').filter(Boolean)], message: v.message });
    }
  });

/** An operation's `onSuccess` or `onFailure` in services.yaml and the admin API. */
export const followUpList = z.array(followUp).max(MAX_FOLLOW_UPS_PER_LIST, `lists more than ${MAX_FOLLOW_UPS_PER_LIST} follow-ups`);

/**
 * Where a service's follow-ups name an operation `exists` does not know, as zod-style issue paths
 * under the service (`operations.0.onSuccess.1.service`) with their message.
 */
export function unknownTargets(def: ServiceDef, exists: (service: string, operation?: string) => boolean): Array<{ path: (string | number)[]; message: string }> {
  return def.operations.flatMap((op, oi) =>
    FOLLOW_UP_LISTS.flatMap((list) =>
      (op[list] ?? []).flatMap((f, fi) => {
        const path = ['operations', oi, list, fi];
        if (!exists(f.service)) return [{ path: [...path, 'service'], message: `names unknown service "${f.service}"` }];
        if (!exists(f.service, f.operation)) return [{ path: [...path, 'operation'], message: `service "${f.service}" has no operation "${f.operation}"` }];
        return [];
      }),
    ),
  );
}

/** The follow-ups a job of `operation` gets: the operation's own, then the caller's; null when there are none. */
export function mergeFollowUps(declared: Partial<FollowUps>, requested: Partial<FollowUps> | null | undefined): FollowUps | null {
  const merged: FollowUps = {
    onSuccess: [...(declared.onSuccess ?? []), ...(requested?.onSuccess ?? [])],
    onFailure: [...(declared.onFailure ?? []), ...(requested?.onFailure ?? [])],
  };
  return merged.onSuccess.length + merged.onFailure.length > 0 ? merged : null;
}

function strings(template: unknown): string[] {
  if (typeof template === 'string') return [template];
  if (Array.isArray(template)) return template.flatMap(strings);
  if (typeof template === 'object' && template !== null) return Object.values(template).flatMap(strings);
  return [];
}
