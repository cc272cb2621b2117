// Builds the executable schema from the per-domain files; importing them registers their types.
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder';
import './job';
import './call-service';
import './service';
import './service-admin';
import './test-service';
import './job-actions';
import './attempt-log';
import './stats';
import './queue-health';
import './access';

export type { GraphQLContext } from './context';

export function buildSchema(): GraphQLSchema {
  return builder.toSchema();
}

/** The SDL committed as schema.graphql, sorted so that it diffs well. */
export function printCallgateSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;
}
