// A Yoga plugin timing GraphQL operations and counting the requests that end with errors, on the
// app's registry. Labels are the operation type and the failing phase only: client-chosen operation
// names would let any client create series without bound.
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Queries and mutations answer from memory or one or two statements: 1 ms to a few seconds. */
const GRAPHQL_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function useGraphQLMetrics(registry: Registry): Plugin {
  const duration = new Histogram({
    name: 'callgate_graphql_request_duration_seconds',
    help: 'Time from parsing a query or mutation to its result (subscriptions are not timed).',
    labelNames: ['operation_type'] as const,
    buckets: GRAPHQL_BUCKETS_SECONDS,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'callgate_graphql_errors_total',
    help: 'GraphQL operations that ended with errors, by phase (typed error results are answers, not errors).',
    labelNames: ['phase'] as const,
    registers: [registry],
  });
  // Keyed by the HTTP request (the one object every phase sees), else by the context (graphql-ws).
  const startedAt = new WeakMap<object, number>();
  const keyOf = (context: object) => (context as { request?: object }).request ?? context;

  return {
    onParse({ context }) {
      startedAt.set(keyOf(context), performance.now());
      return ({ result }) => {
        if (result instanceof Error) errors.inc({ phase: 'parse' });
      };
    },
    onValidate() {
      return ({ valid }) => {
        if (!valid) errors.inc({ phase: 'validate' });
      };
    },
    onExecute({ args }) {
      const key = keyOf(args.contextValue);
      const operationType = getOperationAST(args.document, args.operationName)?.operation ?? 'unknown';
      return {
        onExecuteDone({ result }) {
          const started = startedAt.get(key);
          if (started !== undefined) duration.observe({ operation_type: operationType }, (performance.now() - started) / 1000);
          if (!(Symbol.asyncIterator in result) && result.errors?.length) errors.inc({ phase: 'execute' });
        },
      };
    },
  };
}
