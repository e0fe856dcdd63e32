// What a mutation's answer says went wrong: top-level errors (signed out, not allowed, the hub
// unreachable) first, else the payload's user errors with their field paths (from inside `input`)
// and their text without the field prefix; nothing when it worked.
import { CombinedError } from 'urql';
import { describe, expect, it } from 'vitest';
import { graphQLError, userError } from '../test/client';
import { mutationError, mutationProblems, snakePath } from './errors';

describe('mutationProblems', () => {
  it('reads user errors: path inside input, text without its prefix, code', () => {
    const payload = { userErrors: [userError(['input', 'trigger', 'expression'], 'trigger.expression: not cron'), userError(['email'], 'email: taken', 'CONFLICT'), userError(null, 'no such lock', 'NOT_FOUND')] };
    expect(mutationProblems({}, payload)).toEqual([
      { path: 'trigger.expression', code: 'INVALID_INPUT', message: 'trigger.expression: not cron', text: 'not cron' },
      { path: 'email', code: 'CONFLICT', message: 'email: taken', text: 'taken' },
      { path: null, code: 'NOT_FOUND', message: 'no such lock', text: 'no such lock' },
    ]);
    expect(mutationError({}, payload)).toBe('trigger.expression: not cron; email: taken; no such lock');
  });

  it('is empty when it worked', () => {
    expect(mutationProblems({}, { userErrors: [] })).toEqual([]);
    expect(mutationError({ error: undefined }, undefined)).toBeNull();
  });

  it('puts top-level errors first, whole, with their code', () => {
    expect(mutationProblems({ error: graphQLError('admin role required', 'FORBIDDEN') }, { userErrors: [userError(null, 'ignored')] })).toEqual([{ path: null, code: 'FORBIDDEN', message: 'admin role required', text: 'admin role required' }]);
    expect(mutationError({ error: new CombinedError({ networkError: new Error('Failed to fetch') }) }, undefined)).toBe('[Network] Failed to fetch');
  });

  it('names document keys as the specification writes them', () => {
    expect(snakePath('executionConfig.timeoutSeconds')).toBe('execution_config.timeout_seconds');
    expect(snakePath('parameters.max_lines.default')).toBe('parameters.max_lines.default');
  });
});
