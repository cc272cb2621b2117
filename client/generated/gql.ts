/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation CallService($input: CallServiceInput!) {\n  callService(input: $input) {\n    __typename\n    ... on CallServiceSuccess {\n      deduplicated\n      job {\n        id\n        status\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on InvalidInputError {\n      violations {\n        path\n        message\n      }\n    }\n  }\n}": typeof types.CallServiceDocument,
    "subscription JobUpdated($id: ID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    attempts\n    output\n    lastError\n    completedAt\n  }\n}": typeof types.JobUpdatedDocument,
    "query Job($id: ID!) {\n  job(id: $id) {\n    id\n    service\n    operation\n    status\n    input\n    output\n    attempts\n    maxAttempts\n    lastError\n    priority\n    correlationId\n    idempotencyKey\n    runAt\n    deadline\n    startedAt\n    completedAt\n    createdAt\n    updatedAt\n  }\n}": typeof types.JobDocument,
};
const documents: Documents = {
    "mutation CallService($input: CallServiceInput!) {\n  callService(input: $input) {\n    __typename\n    ... on CallServiceSuccess {\n      deduplicated\n      job {\n        id\n        status\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on InvalidInputError {\n      violations {\n        path\n        message\n      }\n    }\n  }\n}": types.CallServiceDocument,
    "subscription JobUpdated($id: ID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    attempts\n    output\n    lastError\n    completedAt\n  }\n}": types.JobUpdatedDocument,
    "query Job($id: ID!) {\n  job(id: $id) {\n    id\n    service\n    operation\n    status\n    input\n    output\n    attempts\n    maxAttempts\n    lastError\n    priority\n    correlationId\n    idempotencyKey\n    runAt\n    deadline\n    startedAt\n    completedAt\n    createdAt\n    updatedAt\n  }\n}": types.JobDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CallService($input: CallServiceInput!) {\n  callService(input: $input) {\n    __typename\n    ... on CallServiceSuccess {\n      deduplicated\n      job {\n        id\n        status\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on InvalidInputError {\n      violations {\n        path\n        message\n      }\n    }\n  }\n}"): (typeof documents)["mutation CallService($input: CallServiceInput!) {\n  callService(input: $input) {\n    __typename\n    ... on CallServiceSuccess {\n      deduplicated\n      job {\n        id\n        status\n      }\n    }\n    ... on Error {\n      message\n    }\n    ... on InvalidInputError {\n      violations {\n        path\n        message\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription JobUpdated($id: ID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    attempts\n    output\n    lastError\n    completedAt\n  }\n}"): (typeof documents)["subscription JobUpdated($id: ID!) {\n  jobUpdated(id: $id) {\n    id\n    status\n    attempts\n    output\n    lastError\n    completedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Job($id: ID!) {\n  job(id: $id) {\n    id\n    service\n    operation\n    status\n    input\n    output\n    attempts\n    maxAttempts\n    lastError\n    priority\n    correlationId\n    idempotencyKey\n    runAt\n    deadline\n    startedAt\n    completedAt\n    createdAt\n    updatedAt\n  }\n}"): (typeof documents)["query Job($id: ID!) {\n  job(id: $id) {\n    id\n    service\n    operation\n    status\n    input\n    output\n    attempts\n    maxAttempts\n    lastError\n    priority\n    correlationId\n    idempotencyKey\n    runAt\n    deadline\n    startedAt\n    completedAt\n    createdAt\n    updatedAt\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;