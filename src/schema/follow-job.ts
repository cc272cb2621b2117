// followJob (jobUpdated's source; here, not in events/, because it speaks GraphQL): a job's
// current state at once, then each change, ending after a final status (or when
// the instance shuts down: one last read, then a clean `complete` for SSE and WebSocket subscribers).
// Events only say "this job changed"; the job is re-read by id (NOTIFY payloads stay small), and
// changes that arrive during a read collapse into one more read.
import { GraphQLError } from 'graphql';
import { Repeater } from 'graphql-yoga';
import type { TenantScope } from '../db/tenant-scope';
import { FINAL_JOB_STATUS, type JobRow } from '../db/schema';
import { getJob } from '../queue';
import type { EventBus } from '../events/bus';

export function followJob(asTenant: TenantScope, bus: EventBus, tenantId: string, id: string): Repeater<JobRow> {
  return new Repeater<JobRow>(async (push, stop) => {
    let changed = true;
    let closing = false;
    let stopped = false;
    let wake: (() => void) | undefined;
    const reread = () => {
      changed = true;
      wake?.();
    };
    const unwatch = bus.watchJob(id, reread);
    // The drain's last changes may not have come back as events yet: read once more, then end.
    void bus.closed.then(() => {
      closing = true;
      reread();
    });
    void stop.then(() => {
      stopped = true;
      unwatch();
      wake?.();
    });
    let last = '';
    while (!stopped) {
      changed = false;
      const job = await asTenant((tx) => getJob(tx, tenantId, id));
      if (!job) {
        stop(new GraphQLError(`job ${id} not found`, { extensions: { code: 'NOT_FOUND' } }));
        return;
      }
      const version = `${job.status}|${job.attempts}|${job.updatedAt.getTime()}`;
      if (version !== last) {
        last = version;
        await push(job);
      }
      if (FINAL_JOB_STATUS.has(job.status) || (closing && !changed)) {
        stop();
        return;
      }
      // Checked after every await: a stop or change that came meanwhile must not be waited for.
      if (!changed && !stopped) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  });
}
