// GraphiQL at /graphql, served whole from the installed @graphql-yoga/render-graphiql (CSS, JS,
// fonts and editor workers inlined: nothing from a CDN), opening on callgate's example tabs.
import type { GraphiQLOptions } from 'graphql-yoga';

type GraphiQLTab = NonNullable<GraphiQLOptions['defaultTabs']>[number];

/**
 * The tabs a first visit opens, one operation each (its name is the tab's title), so the play
 * button and Ctrl-Enter run it without asking which. GraphiQL keeps the user's own tabs in
 * localStorage afterwards; these only come back when that is cleared. Add an ops query here.
 */
export const GRAPHIQL_EXAMPLES: readonly GraphiQLTab[] = [
  {
    query: `# Enqueue a call to the sample mock service: run it
# (▶ or Ctrl-Enter), then follow the job in WatchJob.
mutation CallService {
  callService(input: {
    service: "mock"
    operation: "echo"
    input: { hello: "world" }
  }) {
    __typename
    ... on CallServiceSuccess {
      deduplicated
      job { id status }
    }
    ... on Error { message }
    ... on InvalidInputError { violations { path message } }
  }
}
`,
  },
  {
    query: `# An async provider (simulated): the refund waits for its
# signed callback (WAITING_CALLBACK), then succeeds, and
# its success sends a receipt built from its output.
# Follow it in WatchJob; job(id) { followUps { ... } }.
mutation Refund {
  callService(input: {
    service: "payments", operation: "refund"
    input: { chargeId: "ch_1", amount: 500 }
    correlationId: "order-42"
    followUps: { onSuccess: [{
      service: "mail", operation: "send"
      input: { to: "ada@example.com", subject: "Your refund {{output.id}}", amount: "{{output.amount}}" }
    }] }
  }) {
    __typename
    ... on CallServiceSuccess { job { id status } }
    ... on Error { message }
  }
}
`,
  },
  {
    query: `# The job now, then each change until a final status,
# over graphql-ws. Put the id CallService answered
# into the variables below.
subscription WatchJob($id: ID!) {
  jobUpdated(id: $id) {
    id status attempts output lastError
    startedAt completedAt
  }
}
`,
    variables: `{ "id": "paste a job id here" }`,
  },
  {
    query: `# Jobs, newest first. Filter with status: FAILED or
# service: "mock"; page on with after: <endCursor>.
query RecentJobs {
  jobs(first: 20) {
    edges {
      node {
        id service operation status attempts lastError
        createdAt completedAt
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`,
  },
  {
    query: `# Every attempt across jobs, newest first: how each
# call ended and how long it took. Filter by service,
# operation, outcome (TIMEOUT, HTTP_ERROR, ...), since.
query AttemptLog {
  attemptLog(first: 20, filter: { service: "mock" }) {
    edges {
      node {
        jobId service operation attempt outcome
        httpStatus durationMs error startedAt
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`,
  },
  {
    query: `# The registry, with each operation's circuit breaker
# on this instance (OPEN: calls held back until
# nextProbeAt).
query Services {
  services {
    name kind baseUrl timeoutMs
    operations {
      name method path timeoutMs
      breaker { state failures successes rejects nextProbeAt }
    }
  }
}
`,
  },
  {
    query: `# Per service operation over the last hour (window:
# "90s", "90m", "1h", "7d", at most 30d): jobs by
# status, success rate, call durations, throughput, lag.
query JobStats {
  jobStats(window: "1h") {
    service operation created finished successRate
    byStatus { pending running succeeded failed }
    attemptsPerFinishedJob throughputPerMinute calls
    durationMs { avg p50 p95 p99 }
    oldestPendingAgeMs
  }
}
`,
  },
  {
    query: `# Operations with at least minFailures failed calls
# in the window, their latest distinct errors and
# their breaker on this instance.
query FailingServices {
  failingServices(window: "1h", minFailures: 10) {
    service operation failures calls failureRate
    lastFailureAt recentErrors
    breaker { state nextProbeAt }
  }
}
`,
  },
  {
    query: `# The queue now: due vs scheduled, the oldest due
# job's wait, running jobs per instance, and the
# instances alive by their heartbeat.
query Queue {
  queue {
    pending due scheduled scheduledRetries running
    waitingCallback oldestDueAgeMs
    runningByInstance { instance running }
    liveInstances
    instances { id host pid live inFlight concurrency lastSeenAt }
  }
}
`,
  },
];

// A gate, in the GraphQL pink. Inline, so the tab icon needs no request (Yoga's default favicon
// is a 150 KB inline .ico of its own logo).
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32"><rect width="32" height="32" rx="7" fill="#e10098"/><path d="M8 25V10a8 8 0 0 1 16 0v15M16 13v12" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round"/></svg>`;

const GRAPHIQL_OPTIONS: GraphiQLOptions = {
  title: 'callgate',
  logo: LOGO_SVG,
  favicon: `data:image/svg+xml,${encodeURIComponent(LOGO_SVG)}`,
  // graphql-ws on /graphql (ws.ts), the same protocol our clients use.
  subscriptionsProtocol: 'WS',
  defaultTabs: [...GRAPHIQL_EXAMPLES],
};

/** The page's options; on the embedded database, the dev admin key (auth/dev-key.ts) fills the headers editor. */
export function graphiqlOptions(devKey?: string): GraphiQLOptions {
  if (!devKey) return GRAPHIQL_OPTIONS;
  const headers = JSON.stringify({ Authorization: `Bearer ${devKey}` }, null, 2);
  return { ...GRAPHIQL_OPTIONS, headers, defaultTabs: GRAPHIQL_EXAMPLES.map((tab) => ({ ...tab, headers })) };
}

/**
 * Yoga's `renderGraphiQL`: the page is ~9 MB (GraphiQL, Monaco and its workers inlined), so the
 * module is imported on the first visit only (an API-only or benchmark process never loads it)
 * and the page is built once per set of options instead of on every request.
 */
export function createGraphiQLRenderer(): (options: GraphiQLOptions) => Promise<string> {
  let cached: { key: string; page: Promise<string> } | undefined;
  return (options) => {
    const key = JSON.stringify(options);
    if (cached?.key !== key) {
      cached = { key, page: import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => renderGraphiQL(options)) };
    }
    return cached.page;
  };
}
