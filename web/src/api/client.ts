// The urql client: POST /graphql over fetch, subscriptions over graphql-ws at /graphql/ws, a
// normalised cache (graphcache) so live updates change the rows on screen in place, the access
// token added to each operation by urql's authExchange (refreshed before it expires, and once more
// when the hub says "unauthenticated"), and one place that turns an answer still unauthenticated
// after that into the end of the session. Each operation carries its persisted-document hash
// (`extensions.persistedQuery`) besides its query.
import { cacheExchange, type Cache, type CacheExchangeOpts } from '@urql/exchange-graphcache';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { authExchange } from '@urql/exchange-auth';
import { Client, fetchExchange, makeOperation, mapExchange, subscriptionExchange, type CombinedError, type Exchange } from 'urql';

export const GRAPHQL_PATH = '/graphql';
export const GRAPHQL_WS_PATH = '/graphql/ws';

/**
 * graphql-ws close code for a refused connection_init (bad or expired token): 4403 Forbidden, as
 * the graphql-ws server sends it. (4401 means "subscribe before ack" in that protocol, not auth.)
 */
const WS_FORBIDDEN = 4403;

/** True when the hub says the caller is not (or no longer) signed in. */
export function isUnauthenticated(error: CombinedError): boolean {
  const response: unknown = error.response;
  if (typeof response === 'object' && response !== null && 'status' in response && response.status === 401) return true;
  return error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
}

const persistedHashes = new Map<number, string>();

/**
 * Remembers the hash codegen gave each document (`__meta__.hash`, see web/persisted.ts) by urql's key
 * for it. Placed before the cache, which forwards its own copy of the document (same key, no
 * `__meta__`) and drops `extensions`.
 */
export const rememberPersistedHashes: Exchange = mapExchange({
  onOperation(operation) {
    const query = operation.query as { __key?: number; __meta__?: { hash?: unknown } };
    const hash = query.__meta__?.hash;
    if (typeof hash === 'string' && query.__key !== undefined) persistedHashes.set(query.__key, hash);
  },
});

/**
 * Adds Apollo's `extensions.persistedQuery` with the document's hash, so a hub that answers only
 * persisted queries (`security.graphql_persisted_queries: allowlist`) runs it. The query is sent
 * too (urql's `miss` flag keeps it in the body), so a hub without the allowlist answers the same.
 */
export const persistedQueryExchange: Exchange = mapExchange({
  onOperation(operation) {
    const key = (operation.query as { __key?: number }).__key;
    const hash = key === undefined ? undefined : persistedHashes.get(key);
    if (hash === undefined || operation.kind === 'teardown') return operation;
    const persistedQuery = { version: 1 as const, sha256Hash: hash, miss: true };
    return makeOperation(operation.kind, { ...operation, extensions: { ...operation.extensions, persistedQuery } }, operation.context);
  },
});

/** Drops every cached `Query.<name>(…)` so views showing that list ask the hub again. */
function invalidateQueryField(cache: Cache, name: string): void {
  for (const field of cache.inspectFields('Query')) {
    if (field.fieldName === name) cache.invalidate('Query', field.fieldKey);
  }
}

const invalidates =
  (...names: string[]) =>
  (_result: unknown, _args: unknown, cache: Cache) =>
    names.forEach((name) => invalidateQueryField(cache, name));

/** The members of the schema's abstract types (graphcache matches fragments on them exactly). */
export const POSSIBLE_TYPES: Record<string, string[]> = {
  Action: ['ShellCommandAction', 'FileValidationAction', 'ServiceHealthAction', 'DatabaseQueryAction', 'HttpCheckAction', 'TcpPortAction', 'ProcessRunningAction', 'DiskFreeAction', 'TlsCertificateExpiryAction'],
  Node: ['ActionTemplate', 'Execution', 'NotificationRule', 'Schedule', 'Server', 'ServerLock', 'User'],
};

/** Value objects without an identity: embedded in their parent (null key), never normalised. */
const EMBEDDED = [
  // Connections and mutation payloads.
  'PageInfo',
  'ServerConnection',
  'ServerEdge',
  'ExecutionConnection',
  'ExecutionEdge',
  'ActionTemplateConnection',
  'ActionTemplateEdge',
  'ScheduleConnection',
  'ScheduleEdge',
  'ServerLockConnection',
  'ServerLockEdge',
  'UserConnection',
  'UserEdge',
  'AuditEntryConnection',
  'AuditEntryEdge',
  'NotificationRuleConnection',
  'NotificationRuleEdge',
  'DeliveryConnection',
  'DeliveryEdge',
  'UserError',
  'ExecutionPayload',
  'ActionTemplatePayload',
  'DeletePayload',
  'UserPayload',
  'ServerPayload',
  'EnrollmentTokenPayload',
  'ServerLockPayload',
  'SchedulePayload',
  'NotificationRulePayload',
  'TestNotificationPayload',
  // Parts of servers, executions, templates, schedules, locks and the audit log.
  'ServerStatus',
  'ServerConfiguration',
  'ServerMetadata',
  'MetricPoint',
  'MetricStat',
  'Credentials',
  'EnrollmentToken',
  'ExecutionResults',
  'ExecutionTiming',
  'JobDetail',
  'ExecutionPreview',
  'CommandPreview',
  'EnvironmentVariable',
  'ParameterValue',
  ...POSSIBLE_TYPES.Action!,
  'NameValue',
  'NumberRange',
  'ParameterDefinition',
  'ExecutionConfig',
  'SuccessCriteria',
  'TemplateMetadata',
  'ScheduledExecution',
  'ServerSelector',
  'LockOwner',
  'LockMetadata',
  'LockTiming',
  'CronPreview',
  'AuditEntry',
  'AuditActor',
  'AuditResource',
  'AuditResult',
  'AuditVerification',
  'LogPage',
  'LogLine',
  'ExecutionEvent',
  'ExecutionFeedEvent',
];

const byField = (field: string) => (data: Record<string, unknown>) => (typeof data[field] === 'string' ? data[field] : null);

/**
 * Cache keys: each record by its spec id (the ids the dashboard's documents select and its URLs
 * use); value objects embedded in their parent.
 */
export const cacheConfig: CacheExchangeOpts = {
  possibleTypes: POSSIBLE_TYPES,
  // Mutations that change which items a list holds: those lists are fetched again.
  updates: {
    Mutation: {
      startExecution: invalidates('executions'),
      rerunExecution: invalidates('executions'),
      createActionTemplate: invalidates('actionTemplates'),
      updateActionTemplate: invalidates('actionTemplates'),
      deleteActionTemplate: (_result, args, cache) => {
        invalidateQueryField(cache, 'actionTemplates');
        if (typeof args.id === 'string') cache.invalidate({ __typename: 'ActionTemplate', templateId: args.id });
      },
      createSchedule: invalidates('schedules'),
      deleteSchedule: invalidates('schedules'),
      forceReleaseLock: invalidates('serverLocks'),
      acquireLock: invalidates('serverLocks'),
      releaseLock: invalidates('serverLocks'),
      createUser: invalidates('users'),
      createNotificationRule: invalidates('notificationRules'),
      deleteNotificationRule: (_result, args, cache) => {
        invalidateQueryField(cache, 'notificationRules');
        if (typeof args.id === 'string') cache.invalidate({ __typename: 'NotificationRule', ruleId: args.id });
      },
      testNotificationRule: invalidates('notificationDeliveries'),
    },
  },
  keys: {
    ...Object.fromEntries(EMBEDDED.map((name) => [name, () => null])),
    Server: byField('serverId'),
    Execution: byField('executionId'),
    ActionTemplate: byField('templateId'),
    User: byField('email'),
    ServerLock: byField('lockId'),
    Schedule: byField('scheduleId'),
    NotificationRule: byField('ruleId'),
    Delivery: byField('id'),
  },
};

function websocketUrl(path: string): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${path}`;
}

/** Capped exponential back-off with jitter; the dashboard never gives up reconnecting. */
async function retryWait(retries: number): Promise<void> {
  const delay = Math.min(1000 * 2 ** retries, 15_000) + Math.floor(Math.random() * 1000);
  await new Promise((resolve) => setTimeout(resolve, delay));
}

/** Where the client gets its access token, and how it gets a new one. */
export interface ClientAuth {
  token: () => string | null;
  /** The token expires within the refresh margin. */
  expiresSoon: () => boolean;
  /** Gets a new access token; false when the session is over. */
  refresh: () => Promise<boolean>;
}

/** A fixed token that cannot be renewed (tests, and callers without a session store). */
export const fixedAuth = (accessToken: string): ClientAuth => ({ token: () => accessToken, expiresSoon: () => false, refresh: () => Promise.resolve(false) });

/** How many refusals (4403) in a row, with a fresh token, mean the session is over. */
const WS_MAX_REFUSALS = 3;

export function createWebSocketClient(auth: ClientAuth, onUnauthenticated: () => void): WsClient {
  let refused = 0;
  const renew = () =>
    void auth.refresh().then((ok) => {
      if (!ok) onUnauthenticated();
    });
  return createWsClient({
    url: websocketUrl(GRAPHQL_WS_PATH),
    // Asked at every (re)connection, so a reconnect uses the token of now.
    connectionParams: async () => {
      if (auth.expiresSoon()) await auth.refresh();
      return { Authorization: `Bearer ${auth.token() ?? ''}` };
    },
    lazy: true,
    retryAttempts: Infinity,
    retryWait,
    shouldRetry: (event) => !(isCloseEvent(event) && event.code === WS_FORBIDDEN && refused > WS_MAX_REFUSALS),
    on: {
      connected: () => {
        refused = 0;
      },
      closed: (event) => {
        if (!(isCloseEvent(event) && event.code === WS_FORBIDDEN)) return;
        // The hub closes a live connection when its token expires or its session ends: renew the
        // token when it is due (or refused twice) and reconnect; give up after repeated refusals.
        refused += 1;
        if (refused > WS_MAX_REFUSALS) onUnauthenticated();
        else if (refused > 1 || auth.expiresSoon()) renew();
      },
    },
  });
}

function isCloseEvent(value: unknown): value is { code: number } {
  return typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'number';
}

export interface GreenroomClientOptions {
  /** The session's tokens; or a fixed `accessToken`. */
  auth?: ClientAuth;
  accessToken?: string;
  onUnauthenticated: () => void;
  /** Replaces the network (fetch + WebSocket) exchanges; for tests. */
  transport?: Exchange[];
}

export function createGreenroomClient({ auth: givenAuth, accessToken, onUnauthenticated, transport }: GreenroomClientOptions): Client {
  const auth = givenAuth ?? fixedAuth(accessToken ?? '');
  const network =
    transport ??
    (() => {
      const ws = createWebSocketClient(auth, onUnauthenticated);
      return [
        fetchExchange,
        subscriptionExchange({
          forwardSubscription(request) {
            const input = { ...request, query: request.query ?? '' };
            return {
              subscribe(sink) {
                const unsubscribe = ws.subscribe(input, sink);
                return { unsubscribe };
              },
            };
          },
        }),
      ];
    })();

  return new Client({
    url: GRAPHQL_PATH,
    preferGetMethod: false,
    exchanges: [
      rememberPersistedHashes,
      mapExchange({
        onError(error) {
          // Still unauthenticated after the auth exchange renewed the token once: signed out.
          if (isUnauthenticated(error)) onUnauthenticated();
        },
      }),
      cacheExchange(cacheConfig),
      persistedQueryExchange,
      authExchange((utils) =>
        Promise.resolve({
          addAuthToOperation: (operation) => {
            const token = auth.token();
            return token ? utils.appendHeaders(operation, { Authorization: `Bearer ${token}` }) : operation;
          },
          willAuthError: () => auth.expiresSoon(),
          didAuthError: (error) => isUnauthenticated(error),
          refreshAuth: async () => {
            if (!(await auth.refresh())) onUnauthenticated();
          },
        }),
      ),
      ...network,
    ],
  });
}
