// The batched `callgate_job` payload as the bus reads it: anyone who can NOTIFY on the channel can
// send anything, so a malformed payload or row is dropped (and reported) without throwing, and the
// well-formed rows beside it still arrive.
import { describe, expect, it } from 'vitest';
import { parseEvents } from '../../src/events/bus';

const ID = '6f1c2a9e-0d7b-4f55-9a51-2b0c8e4d7f10';
const TENANT = '00000000-0000-0000-0000-000000000000';

describe('parseEvents', () => {
  it('reads every row of a batched payload', () => {
    const payload = JSON.stringify([
      [ID, TENANT, 'pending', 0, false],
      [ID, TENANT, 'waiting_callback', 2147483647, true],
      // Sent before migration 0013: no `due`, counted as due.
      [ID, TENANT, 'pending', 1],
    ]);
    expect(parseEvents(payload)).toEqual({
      events: [
        { id: ID, tenant: TENANT, status: 'pending', attempt: 0, due: false },
        { id: ID, tenant: TENANT, status: 'waiting_callback', attempt: 2147483647, due: true },
        { id: ID, tenant: TENANT, status: 'pending', attempt: 1, due: true },
      ],
      malformed: false,
    });
  });

  it.each([
    ['not JSON', '{'],
    ['an object (the old one-row payload)', JSON.stringify({ id: ID, tenant: TENANT, status: 'pending', attempt: 0 })],
    ['null', 'null'],
    ['a string', '"x"'],
  ])('drops %s as malformed', (_name, payload) => {
    expect(parseEvents(payload)).toEqual({ events: [], malformed: true });
  });

  it('keeps the good rows beside bad ones and says some were dropped', () => {
    const payload = JSON.stringify([[ID, TENANT, 'no_such_status', 1], [ID], null, 'row', [1, TENANT, 'failed', 1], [ID, TENANT, 'failed', 'x']]);
    expect(parseEvents(payload)).toEqual({ events: [{ id: ID, tenant: TENANT, status: 'failed', attempt: 0, due: true }], malformed: true });
  });
});
