// Limits on the operation document, checked at parse and validation before anything runs, over
// HTTP, SSE and WebSocket alike (ws.ts goes through yoga.getEnveloped): graphql-armor's depth,
// alias, cost, token and directive limits, and at most a few callService per request.
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Our deepest real query is 5 levels (jobs → edges → node → attemptLog → outcome); 10 leaves room
 * for fragments and clients' wrappers, and cuts off self-nesting bombs long before they cost.
 * Introspection (GraphiQL, codegen) is exempt: its `ofType` chains are 13 deep.
 */
export const MAX_DEPTH = 10;
/**
 * One request once aliased `jobs(first: 100) { … attemptLog }` 1,000 times (100,000 job rows) and
 * three of them ran the gateway out of memory. 15 is more than any screen needs side by side.
 */
export const MAX_ALIASES = 15;
/**
 * graphql-armor's cost: 2 per object, 1 per scalar, ×1.5 per level, ×`first` for lists. A full
 * page, `jobs(first: 100)` with every Job field, is ≈ 7,800; with each job's attempt log ≈ 14,500.
 * 20,000 admits that page once and refuses the same page aliased three times (a client pages
 * instead), so one request reads at most a few hundred job rows.
 */
const MAX_COST = 20_000;
/**
 * graphql's introspection query is ≈ 170 tokens and our largest GraphiQL example 54; the 71 KB
 * alias bomb was ≈ 17,000. Refused while parsing, before an AST is built for it.
 */
const MAX_TOKENS = 2_000;
/** We define no directives; @include/@skip/@defer a few times each is all a client needs. */
const MAX_DIRECTIVES = 10;
/**
 * callService creates a job each: one request once created 1,000 through aliases. 10 covers a
 * form that submits a handful of calls together; more is a batch job for a script, not a request.
 */
export const MAX_CALL_SERVICE_PER_REQUEST = 10;

export function useOperationLimits(): Plugin[] {
  const armor = new EnvelopArmor({
    maxDepth: { n: MAX_DEPTH },
    maxAliases: { n: MAX_ALIASES },
    costLimit: { maxCost: MAX_COST },
    maxTokens: { n: MAX_TOKENS },
    maxDirectives: { n: MAX_DIRECTIVES },
    // Unknown-field errors stay "Cannot query field", without "Did you mean …" naming the schema.
    blockFieldSuggestion: { enabled: true },
  });
  return [...(armor.protect().plugins as Plugin[]), useCallServiceLimit()];
}

/** Refuses the whole operation, so no job is created, when it holds too many callService fields. */
function useCallServiceLimit(): Plugin {
  return { onValidate: ({ addValidationRule }) => addValidationRule(maxCallServiceRule) };
}

function maxCallServiceRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(operation) {
      if (operation.operation !== 'mutation') return;
      const calls = countCallService(context, operation.selectionSet, new Set());
      if (calls > MAX_CALL_SERVICE_PER_REQUEST) {
        context.reportError(
          new GraphQLError(`at most ${MAX_CALL_SERVICE_PER_REQUEST} callService per request, found ${calls}; no job was created`, {
            nodes: [operation],
            extensions: { code: 'TOO_MANY_CALLS' },
          }),
        );
      }
    },
  };
}

/** Mutation fields sit at the root, possibly inside fragments; each fragment is counted once per spread. */
function countCallService(context: ValidationContext, set: SelectionSetNode, visiting: Set<string>): number {
  let calls = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) calls += selection.name.value === 'callService' ? 1 : 0;
    else if (selection.kind === Kind.INLINE_FRAGMENT) calls += countCallService(context, selection.selectionSet, visiting);
    else if (!visiting.has(selection.name.value)) {
      const fragment = context.getFragment(selection.name.value);
      if (fragment) calls += countCallService(context, fragment.selectionSet, new Set([...visiting, selection.name.value]));
    }
  }
  return calls;
}
