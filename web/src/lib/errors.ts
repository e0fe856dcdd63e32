// What went wrong with a GraphQL operation, in the hub's own words. Queries fail with top-level
// errors only (`errorMessage`). Mutations answer a payload `{ <object>, userErrors }`: what the
// user can fix (bad input, not found, conflict) comes as `userErrors` with a field path, the rest
// (signed out, not allowed, hub unavailable) as top-level errors — `mutationProblems` reads both
// into one list that forms place at their fields (by `path`) or list as they are.
import type { CombinedError } from 'urql';

export function errorMessage(error: CombinedError): string {
  return error.graphQLErrors.map((e) => e.message).join('; ') || error.message;
}

/** A payload's `userErrors` entry (the `UserErrorFields` fragment). */
export interface UserErrorLike {
  readonly field?: readonly string[] | null;
  readonly code: string;
  readonly message: string;
}

export interface Problem {
  /**
   * The input field it is about, dotted, from inside the mutation's `input` argument
   * (`trigger.expression`, `parameters.count.default`, `email`); null for the request as a whole.
   */
  path: string | null;
  /** `INVALID_INPUT`, `NOT_FOUND`, `CONFLICT`, … or the top-level error's code. */
  code: string;
  /** The problem as the hub wrote it (a field's problem starts with its name). */
  message: string;
  /** The message without the leading "field.path: " when it has one: for showing at the field. */
  text: string;
}

/** The problem's text without a leading `name.path: ` (the hub writes field problems that way). */
function withoutPrefix(message: string): string {
  const m = /^[A-Za-z0-9_.]+:\s+(.*)$/s.exec(message);
  return m ? m[1]! : message;
}

function fromUserError(e: UserErrorLike): Problem {
  const field = e.field ?? null;
  const parts = field && field[0] === 'input' ? field.slice(1) : field;
  return { path: parts && parts.length > 0 ? parts.join('.') : null, code: e.code, message: e.message, text: field ? withoutPrefix(e.message) : e.message };
}

/**
 * Everything wrong with a mutation's answer: its top-level errors (signed out, not allowed, the
 * hub unreachable, schema validation) or else its payload's `userErrors`. Empty when it worked.
 * `result` is the awaited result or the `useMutation` state; `payload` its mutation field.
 */
export function mutationProblems(result: { error?: CombinedError | undefined }, payload: { readonly userErrors: readonly UserErrorLike[] } | null | undefined): Problem[] {
  if (result.error) {
    if (result.error.graphQLErrors.length === 0) return [{ path: null, code: 'NETWORK', message: result.error.message, text: result.error.message }];
    return result.error.graphQLErrors.map((e) => {
      const code = typeof e.extensions?.code === 'string' ? e.extensions.code : 'ERROR';
      return { path: null, code, message: e.message, text: e.message };
    });
  }
  return (payload?.userErrors ?? []).map(fromUserError);
}

/** The problems of a mutation's answer as one line ("a; b"), or null when it worked. */
export function mutationError(result: { error?: CombinedError | undefined }, payload: { readonly userErrors: readonly UserErrorLike[] } | null | undefined): string | null {
  const problems = mutationProblems(result, payload);
  return problems.length > 0 ? problems.map((p) => p.message).join('; ') : null;
}

/** `executionConfig.timeoutSeconds` → `execution_config.timeout_seconds` (the spec's document keys). */
export function snakePath(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
