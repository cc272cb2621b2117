import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { printCallgateSchema } from '../../src/schema';

it('schema.graphql is the printed Pothos schema (run npm run schema:print)', async () => {
  const committed = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8');
  expect(printCallgateSchema()).toBe(committed);
});
