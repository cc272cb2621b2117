// A service switched to its mock (setServiceMode MOCK) is answered by the mock client from its
// operations' mock config, with no upstream call; every other call goes to the real client.
import type { UpstreamClient } from './types';

export function withMockMode(real: UpstreamClient, mock: UpstreamClient): UpstreamClient {
  return {
    call: (req) => (req.service.mode === 'mock' ? mock.call(req) : real.call(req)),
    // The mock client is closed as the `mock` kind's, by whoever made it.
    close: () => real.close(),
  };
}
