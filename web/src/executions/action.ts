// What an execution runs, typed (the `Action` union: `ActionFields`): a short label for lists
// ("shell_command: echo hello"), and the same action as `startExecution` takes it (`ActionInput`),
// for the hub's preview of a re-run.
import type { ActionFieldsFragment, ActionInput } from '../gql/graphql';

type Operation = ActionFieldsFragment;

/** The specification's name of each kind of action. */
export const ACTION_TYPE_NAMES: Record<Operation['__typename'], string> = {
  ShellCommandAction: 'shell_command',
  FileValidationAction: 'file_validation',
  ServiceHealthAction: 'service_health',
  DatabaseQueryAction: 'database_query',
  HttpCheckAction: 'http_check',
  TcpPortAction: 'tcp_port',
  ProcessRunningAction: 'process_running',
  DiskFreeAction: 'disk_free',
  TlsCertificateExpiryAction: 'tls_certificate_expiry',
};

/** The one detail that tells actions of a kind apart (a command, a path, a URL, a host). */
function detail(op: Operation): string | null {
  switch (op.__typename) {
    case 'ShellCommandAction':
      return op.command;
    case 'FileValidationAction':
    case 'DiskFreeAction':
      return op.path;
    case 'ServiceHealthAction':
      return op.serviceName ?? op.healthEndpoint ?? null;
    case 'DatabaseQueryAction':
      return op.query;
    case 'HttpCheckAction':
      return op.url;
    case 'TcpPortAction':
      return `${op.host}:${op.port}`;
    case 'ProcessRunningAction':
      return op.name ?? op.pattern ?? null;
    case 'TlsCertificateExpiryAction':
      return op.tlsPort != null ? `${op.host}:${op.tlsPort}` : op.host;
  }
}

/** "shell_command: echo hello", or the kind alone when it has no detail; "action" when unknown. */
export function operationLabel(op: Operation | null | undefined): string {
  if (!op) return 'action';
  const type = ACTION_TYPE_NAMES[op.__typename] ?? 'action';
  const d = detail(op);
  return d ? `${type}: ${d}` : type;
}

/** Leaves out what the hub sent as null, so the input says only what the action said. */
function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as { [K in keyof T]: Exclude<T[K], null> };
}

/** The action as `startExecution` / `previewExecution` take it (secrets as the hub shows them, `***`). */
export function actionInput(op: Operation): ActionInput {
  switch (op.__typename) {
    case 'ShellCommandAction': {
      const { command, timeout, workingDirectory, shell, environmentVars } = op;
      return { shellCommand: { ...defined({ command, timeout, workingDirectory, shell }), environmentVars: (environmentVars ?? []).map(({ name, value }) => ({ name, value })) } };
    }
    case 'FileValidationAction':
      return { fileValidation: { path: op.path, checks: [...op.checks] } };
    case 'ServiceHealthAction': {
      const { serviceName, healthEndpoint, expectedResponse, expectedStatus, timeout } = op;
      return { serviceHealth: defined({ serviceName, healthEndpoint, expectedResponse, expectedStatus, timeout }) };
    }
    case 'DatabaseQueryAction': {
      const { connectionString, query, expectedResultType, timeout, allowWrites, expectedRange } = op;
      return { databaseQuery: { ...defined({ connectionString, query, expectedResultType, timeout, allowWrites }), ...(expectedRange ? { expectedRange: defined({ min: expectedRange.min, max: expectedRange.max }) } : {}) } };
    }
    case 'HttpCheckAction': {
      const { url, method, expectedStatus, bodyContains, json, timeout, headers } = op;
      return { httpCheck: { ...defined({ url, method, expectedStatus, bodyContains, json, timeout }), headers: (headers ?? []).map(({ name, value }) => ({ name, value })) } };
    }
    case 'TcpPortAction':
      return { tcpPort: defined({ host: op.host, port: op.port, timeout: op.timeout }) };
    case 'ProcessRunningAction':
      return { processRunning: defined({ name: op.name, pattern: op.pattern, minCount: op.minCount }) };
    case 'DiskFreeAction':
      return { diskFree: defined({ path: op.path, minFreePercent: op.minFreePercent, minFreeMb: op.minFreeMb }) };
    case 'TlsCertificateExpiryAction':
      return { tlsCertificateExpiry: defined({ host: op.host, port: op.tlsPort, serverName: op.serverName, minDaysRemaining: op.minDaysRemaining, timeout: op.timeout }) };
  }
}
