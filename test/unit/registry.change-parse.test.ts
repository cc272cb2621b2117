// The `callgate_registry` payload as the follower reads it: anyone who can NOTIFY on the channel can
// send anything, so only a well-formed origin lets an instance skip a reload; all else reloads.
import { describe, expect, it } from 'vitest';
import { parseRegistryChange } from '../../src/registry';

describe('parseRegistryChange', () => {
  it('reads the service and the origin a write sends', () => {
    expect(parseRegistryChange(JSON.stringify({ service: 'pay', origin: 'o-1' }))).toEqual({ service: 'pay', origin: 'o-1' });
  });

  it.each([
    ['an older instance\'s bare name', 'pay', { service: 'pay' }],
    ['JSON null', 'null', { service: 'null' }],
    ['a number', '5', { service: undefined, origin: undefined }],
    ['an origin that is not a string', JSON.stringify({ service: 'pay', origin: 7 }), { service: 'pay', origin: undefined }],
    ['an overlong name', 'x'.repeat(5_000), { service: 'x'.repeat(64) }],
  ])('gives no origin for %s, without throwing', (_what, payload, expected) => {
    expect(parseRegistryChange(payload)).toEqual(expected);
  });
});
