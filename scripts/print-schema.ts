// Writes the printed SDL to schema.graphql (npm run schema:print); a test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { printCallgateSchema } from '../src/schema';

writeFileSync(new URL('../schema.graphql', import.meta.url), printCallgateSchema());
