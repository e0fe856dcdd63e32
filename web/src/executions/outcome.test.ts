// Tests of the monitor's outcome logic: which jobs count as not succeeded, the progress bar's
// segments, job durations, and the input of "Re-run" / "Retry failed".
import { describe, expect, it } from 'vitest';
import { monitorExecution } from '../test/executions';
import { isNotSucceeded, jobSeconds, notSucceededServers, outcomeSegments, rerunInput } from './outcome';

describe('outcome', () => {
  it('counts failed, timed out, unreachable, cancelled and skipped as not succeeded', () => {
    expect(['FAILED', 'TIMEOUT', 'UNREACHABLE', 'CANCELLED', 'SKIPPED'].every((s) => isNotSucceeded(s as never))).toBe(true);
    expect(['SUCCESS', 'RUNNING', 'PENDING', 'LEASED'].some((s) => isNotSucceeded(s as never))).toBe(false);
  });

  it('splits the bar by outcome over all targets, pending left empty', () => {
    const segs = outcomeSegments(['SUCCESS', 'SUCCESS', 'FAILED', 'TIMEOUT', 'SKIPPED', 'RUNNING', 'PENDING', 'PENDING'], 8);
    expect(segs).toEqual([
      { outcome: 'succeeded', count: 2, percent: 25 },
      { outcome: 'failed', count: 2, percent: 25 },
      { outcome: 'other', count: 1, percent: 12.5 },
      { outcome: 'running', count: 1, percent: 12.5 },
    ]);
    expect(outcomeSegments([], 0)).toEqual([]);
  });

  it('gives a job its duration: the hub’s time when final, elapsed while running', () => {
    const now = Date.parse('2025-01-01T00:01:00Z');
    expect(jobSeconds({ status: 'SUCCESS', executionTime: 2.5, startedAt: null, finishedAt: null }, now)).toBe(2.5);
    expect(jobSeconds({ status: 'FAILED', executionTime: 0, startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:00:04Z' }, now)).toBe(4);
    expect(jobSeconds({ status: 'RUNNING', executionTime: 0, startedAt: '2025-01-01T00:00:30Z', finishedAt: null }, now)).toBe(30);
    expect(jobSeconds({ status: 'PENDING', executionTime: 0, startedAt: null, finishedAt: null }, now)).toBeNull();
    expect(jobSeconds({ status: 'SKIPPED', executionTime: 0, startedAt: null, finishedAt: null }, now)).toBeNull();
  });

  it('re-runs an inline action on the same targets with the same options', () => {
    const e = {
      ...monitorExecution(3, (i) => (i === 1 ? 'FAILED' : 'SUCCESS'), 'FAILED'),
      priority: 'HIGH' as const,
      maxConcurrency: 2,
      errorThreshold: 1,
      requiresLock: true,
      failIfLocked: true,
      retryCount: 2,
      retryDelaySeconds: 30,
    };
    expect(rerunInput(e)).toEqual({
      problem: null,
      input: {
        targetServers: ['srv-0000', 'srv-0001', 'srv-0002'],
        priority: 'HIGH',
        maxConcurrency: '2',
        errorThreshold: '1',
        requiresLock: true,
        failIfLocked: true,
        retryCount: 2,
        retryDelaySeconds: 30,
        ignoreApplicableTags: true,
        action: { shellCommand: { command: 'echo hello', environmentVars: [] } },
      },
    });
    expect(notSucceededServers(e)).toEqual(['srv-0001']);
    expect(rerunInput(e, notSucceededServers(e)).input?.targetServers).toEqual(['srv-0001']);
  });

  it('re-runs a template with its parameters, but not one whose secrets the hub masked', () => {
    const template = { templateId: 'tpl-disk', parameterDefinitions: [{ name: 'path', type: 'STRING' as const }, { name: 'depth', type: 'INTEGER' as const }, { name: 'pw', type: 'SECRET' as const }] };
    const e = {
      ...monitorExecution(1, () => 'TIMEOUT', 'FAILED'),
      actionTemplateId: 'tpl-disk',
      template,
      parameterValues: [
        { name: 'path', value: '/' },
        { name: 'depth', value: '2' },
      ],
    };
    const plan = rerunInput(e);
    expect(plan.input).toMatchObject({
      actionTemplateId: 'tpl-disk',
      parameters: [
        { name: 'path', value: { string: '/' } },
        { name: 'depth', value: { int: 2 } },
      ],
    });
    expect(plan.input).not.toHaveProperty('action');
    const secret = rerunInput({ ...e, parameterValues: [...e.parameterValues, { name: 'pw', value: '***' }] });
    expect(secret.input).toBeNull();
    expect(secret.problem).toMatch(/Secret parameter pw is masked/);
  });

  it('has nothing to retry when every job succeeded', () => {
    const e = monitorExecution(2, () => 'SUCCESS', 'COMPLETED');
    expect(notSucceededServers(e)).toEqual([]);
    expect(rerunInput(e, []).problem).toMatch(/every job succeeded/);
  });
});
