// Cursor connections (`edges { cursor node } pageInfo { hasNextPage endCursor }`) for any list
// read newest first with keyset pagination: fetch `first + 1` rows, the extra one only says
// whether there is a next page.
import type { ObjectRef } from '@pothos/core';
import { badInput, builder, type BuilderTypes } from './builder';

interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
}

const PageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

/** Defines `<Name>Edge` and `<Name>Connection` over a node type. */
export function connectionType<T extends object>(name: string, node: ObjectRef<BuilderTypes, T>, cursorOf: (node: T) => string) {
  const Edge = builder.objectRef<T>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.string({ resolve: cursorOf }),
      // Pothos cannot resolve its result type for a generic T; the node is the edge's value itself.
      node: t.field({ type: node, resolve: (n) => n as never }),
    }),
  });
  return builder.objectRef<Page<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [Edge], resolve: (p) => p.nodes }),
      pageInfo: t.field({
        type: PageInfo,
        resolve: (p) => {
          const last = p.nodes.at(-1);
          return { hasNextPage: p.hasNextPage, endCursor: last ? cursorOf(last) : null };
        },
      }),
    }),
  });
}

/** `first` checked against the limit, and the rows of one page read with one extra. */
export async function readPage<T>(first: number, max: number, read: (limit: number) => Promise<T[]>): Promise<Page<T>> {
  if (!Number.isInteger(first) || first < 1 || first > max) throw badInput(`first must be between 1 and ${max}`);
  const rows = await read(first + 1);
  return { nodes: rows.slice(0, first), hasNextPage: rows.length > first };
}
