// `callgate queue`: how far behind the queue is now and which instances work it, from queueHealth
// (the same figures as GraphQL's `queue`).
import { DEFAULT_TENANT_ID } from '../db/schema';
import { queueHealth } from '../queue';
import { TENANT_NOTE, type Command } from './command';
import { formatAge, formatTime, NONE, renderFields, renderTable } from './table';

export const queueCommands: readonly Command[] = [
  {
    path: ['queue'],
    summary: 'unfinished jobs now, the oldest due job, and the gateway instances',
    help:
      'DUE jobs wait for a free worker; SCHEDULED ones wait for their run time (retries, later runs). ' +
      'Instances come from their heartbeats (every 5 s; not live after 15 s of silence). ' +
      `RUNNING counts this tenant's jobs held by each instance. ${TENANT_NOTE}`,
    async run(_input, ctx) {
      const q = await queueHealth((await ctx.database()).db, { tenantId: DEFAULT_TENANT_ID });
      const summary = renderFields([
        ['pending', String(q.pending)],
        ['  due', String(q.due)],
        ['  scheduled', String(q.scheduled)],
        ['    retries', String(q.scheduledRetries)],
        ['running', String(q.running)],
        ['waiting callback', String(q.waitingCallback)],
        ['oldest due', formatAge(q.oldestDueAgeMs)],
        ['live instances', String(q.liveInstances)],
      ]);
      const running = new Map(q.runningByInstance.map((r) => [r.instance, r.running]));
      // Jobs can be held by an instance without a heartbeat row (it crashed and was pruned).
      const unknown = [...running.keys()].filter((id) => !q.instances.some((i) => i.id === id));
      const rows = [
        ...q.instances.map((i) => [i.id, i.host, String(i.pid), i.live ? 'yes' : 'no', String(i.concurrency), String(i.inFlight), String(running.get(i.id) ?? 0), formatTime(i.lastSeenAt)]),
        ...unknown.map((id) => [id, NONE, NONE, 'no', NONE, NONE, String(running.get(id)), NONE]),
      ];
      const instances = renderTable(
        [
          { header: 'INSTANCE' },
          { header: 'HOST' },
          { header: 'PID', align: 'right' },
          { header: 'LIVE' },
          { header: 'CONCURRENCY', align: 'right' },
          { header: 'IN FLIGHT', align: 'right' },
          { header: 'RUNNING', align: 'right' },
          { header: 'LAST SEEN' },
        ],
        rows,
      );
      return { text: `${summary}\n\n${rows.length ? instances : 'no instances'}`, json: q };
    },
  },
];
