import { describe, expect, it } from 'vitest';
import { loadActiveServices, parseServices, syncFileServices } from '../../src/registry';
import { useTestDatabase } from '../helpers/db';

const t = useTestDatabase();

describe('syncFileServices', () => {
  it('stores the file services and reads them back unchanged', async () => {
    const defs = parseServices(`
services:
  - name: pay
    kind: http
    baseUrl: http://127.0.0.1:9/v1
    auth: { bearerTokenEnv: PAY_TOKEN }
    timeoutMs: 2000
    operations:
      - { name: charge, method: POST, path: /charges, input: { type: object }, timeoutMs: 500 }
      - { name: get, method: GET, path: '/charges/{id}', input: { type: object, properties: { id: { type: string } } } }
  - name: mock
    kind: mock
    operations: [{ name: echo, mock: { latencyMs: [1, 2] } }]`);
    await syncFileServices(t.database.db, defs);
    const stored = defs.map((d) => ({ ...d, source: 'file' }));
    expect(await loadActiveServices(t.database.db)).toEqual(stored.toSorted((a, b) => a.name.localeCompare(b.name)));
  });

  it('removes services that left the file and replaces changed operations', async () => {
    await syncFileServices(t.database.db, parseServices('services: [{ name: mock, kind: mock, operations: [{ name: ping }] }]'));
    const loaded = await loadActiveServices(t.database.db);
    expect(loaded.map((s) => s.name)).toEqual(['mock']);
    expect(loaded[0]?.operations.map((o) => o.name)).toEqual(['ping']);
  });
});
