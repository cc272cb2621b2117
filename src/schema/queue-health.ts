// The `queue` query: how far behind the queue is right now and which instances work it, from
// queue/health.ts and the instances' heartbeats (worker/heartbeat.ts).
import { queueHealth, type InstanceStatus, type QueueHealth } from '../queue';
import { builder } from './builder';

const InstanceType = builder.objectRef<InstanceStatus>('Instance').implement({
  description: 'A gateway instance, from its heartbeat (every 5 s).',
  fields: (t) => ({
    id: t.exposeString('id', { description: 'As in the jobs it locks.' }),
    host: t.exposeString('host'),
    pid: t.exposeInt('pid'),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime' }),
    concurrency: t.exposeInt('concurrency', { description: '0 for an instance that only serves the API.' }),
    inFlight: t.exposeInt('inFlight', { description: 'Jobs it held RUNNING at its last heartbeat (calls in progress, outcomes being written, jobs claimed ahead), every tenant included.' }),
    live: t.exposeBoolean('live', { description: 'Seen in the last 15 s; a dead instance stays listed, not live, for 10 minutes.' }),
  }),
});

const InstanceLoad = builder.objectRef<QueueHealth['runningByInstance'][number]>('InstanceLoad').implement({
  fields: (t) => ({
    instance: t.exposeString('instance'),
    running: t.exposeInt('running'),
  }),
});

const QueueHealthType = builder.objectRef<QueueHealth>('QueueHealth').implement({
  description: "The tenant's unfinished jobs now. Finished jobs are history: see jobStats.",
  fields: (t) => ({
    pending: t.exposeInt('pending', { description: 'due + scheduled.' }),
    due: t.exposeInt('due', { description: 'Pending jobs whose runAt has come: waiting for a free worker.' }),
    scheduled: t.exposeInt('scheduled', { description: 'Pending jobs whose runAt is ahead (later runs, retries, breaker put-backs).' }),
    scheduledRetries: t.exposeInt('scheduledRetries', { description: 'Scheduled jobs that were tried before.' }),
    running: t.exposeInt('running'),
    waitingCallback: t.exposeInt('waitingCallback'),
    oldestDueAgeMs: t.exposeFloat('oldestDueAgeMs', { nullable: true, description: 'How long the oldest due job has waited since its runAt; null when none is due.' }),
    runningByInstance: t.expose('runningByInstance', { type: [InstanceLoad] }),
    instances: t.expose('instances', { type: [InstanceType] }),
    liveInstances: t.exposeInt('liveInstances'),
  }),
});

builder.queryFields((t) => ({
  queue: t.field({
    type: QueueHealthType,
    description: 'Queue depth and lag now, running jobs per instance, and the live instances. Ops and admin keys only.',
    authScopes: { ops: true },
    resolve: (_root, _args, ctx) => ctx.asTenant((tx) => queueHealth(tx, { tenantId: ctx.tenantId })),
  }),
}));
