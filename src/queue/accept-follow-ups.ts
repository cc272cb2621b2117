// What callService checks of a job's follow-ups before the job exists: the caller's own (names,
// template syntax, size: they count in the input size limit) and, for every follow-up whose
// template names only the job's input, the rendered input against the size limit and the target's
// schema. One that needs the output is checked when it is created (follow-ups.ts).
import { renderTemplate } from '../json-template';
import type { Registry, Violation } from '../registry';
import { FOLLOW_UP_LISTS, MAX_FOLLOW_UPS_PER_LIST, mergeFollowUps, rendersAtAccept, templateSyntaxProblems } from '../registry/follow-up-defs';
import type { FollowUpDef, FollowUps, OperationDef } from '../registry/types';
import { inputShapeViolations } from '../registry/validate-input';

type AcceptedFollowUps =
  | { kind: 'accepted'; followUps: FollowUps | null }
  | { kind: 'unknown_service'; service: string }
  | { kind: 'unknown_operation'; service: string; operation: string }
  | { kind: 'invalid_input'; violations: Violation[] };

/**
 * The follow-ups to store with the job (the operation's, then the caller's), or why the call is
 * refused. `input` has passed its own checks; `maxInputBytes` bounds it and the caller's
 * follow-up inputs together.
 */
export function acceptFollowUps(
  registry: Registry,
  call: { service: string; operation: OperationDef; input: unknown; followUps?: Partial<FollowUps> | null | undefined },
  maxInputBytes: number,
): AcceptedFollowUps {
  const requested = call.followUps;
  if (requested) {
    const refused = checkRequested(registry, requested, maxInputBytes - jsonBytes(call.input));
    if (refused) return refused;
  }
  const followUps = mergeFollowUps(call.operation, requested);
  const violations = FOLLOW_UP_LISTS.flatMap((list) => {
    const declared = call.operation[list]?.length ?? 0;
    return (followUps?.[list] ?? []).flatMap((f, i) => {
      const where = i < declared ? `${call.service}.${call.operation.name}.${list}[${i}]` : `followUps.${list}[${i - declared}]`;
      return renderedViolations(registry, f, call.input, maxInputBytes).map((v) => ({ path: `${where}.input${v.path === '/' ? '' : v.path}`, message: v.message }));
    });
  });
  return violations.length > 0 ? { kind: 'invalid_input', violations } : { kind: 'accepted', followUps };
}

function checkRequested(registry: Registry, requested: Partial<FollowUps>, budgetBytes: number): Exclude<AcceptedFollowUps, { kind: 'accepted' }> | undefined {
  const violations: Violation[] = [];
  let budget = budgetBytes;
  for (const list of FOLLOW_UP_LISTS) {
    const defs = requested[list] ?? [];
    if (defs.length > MAX_FOLLOW_UPS_PER_LIST) {
      violations.push({ path: `followUps.${list}`, message: `lists ${defs.length} follow-ups; at most ${MAX_FOLLOW_UPS_PER_LIST} are accepted` });
      continue;
    }
    for (const [i, f] of defs.entries()) {
      if (!registry.service(f.service)) return { kind: 'unknown_service', service: f.service };
      if (!registry.operation(f.service, f.operation)) return { kind: 'unknown_operation', service: f.service, operation: f.operation };
      const at = `followUps.${list}[${i}].input`;
      const shape = inputShapeViolations(f.input, Math.max(0, budget));
      budget -= jsonBytes(f.input);
      violations.push(
        ...shape.map((v) => ({ path: `${at}${v.path === '/' ? '' : v.path}`, message: v.message })),
        ...templateSyntaxProblems(f.input).map((message) => ({ path: at, message })),
      );
    }
  }
  return violations.length > 0 ? { kind: 'invalid_input', violations } : undefined;
}

/**
 * The template rendered from the job's input, held to what the follow-up will be held to when it
 * is created (size, then the target's schema); nothing to check before the job ends otherwise.
 */
function renderedViolations(registry: Registry, f: FollowUpDef, input: unknown, maxInputBytes: number): Violation[] {
  if (!rendersAtAccept(f.input) || !registry.operation(f.service, f.operation)) return [];
  const rendered = renderTemplate(f.input, { input });
  if (rendered === null) return [{ path: '/', message: 'renders to null from this input' }];
  const refused = inputShapeViolations(rendered, maxInputBytes);
  return refused.length > 0 ? refused : registry.validateInput(f.service, f.operation, rendered);
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}
