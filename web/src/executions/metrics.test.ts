// Table tests for execution metrics: progress, success rate, durations and the ETA.
import { describe, expect, it } from 'vitest';
import { executionMetrics } from './metrics';

describe('executionMetrics', () => {
  it('counts states, progress, success rate and durations', () => {
    const m = executionMetrics(
      [
        { status: 'SUCCESS', executionTime: 2 },
        { status: 'SUCCESS', executionTime: 4 },
        { status: 'FAILED', executionTime: 6 },
        { status: 'RUNNING', executionTime: 0 },
        { status: 'PENDING', executionTime: 0 },
      ],
      5,
      10,
    );
    expect(m.counts).toEqual({ SUCCESS: 2, FAILED: 1, RUNNING: 1, PENDING: 1 });
    expect(m.finished).toBe(3);
    expect(m.progress).toBeCloseTo(60);
    expect(m.successRate).toBeCloseTo(66.67, 1);
    expect(m.meanSeconds).toBe(4);
    expect(m.p95Seconds).toBe(6);
    expect(m.maxSeconds).toBe(6);
    // 3 done in 10 s: 2 left take about 6.7 s more.
    expect(m.etaSeconds).toBeCloseTo(6.67, 1);
  });

  it('counts targets without a job yet, and knows nothing before anything finished', () => {
    const m = executionMetrics([{ status: 'RUNNING', executionTime: 0 }], 4, 3);
    expect(m.total).toBe(4);
    expect(m.progress).toBe(0);
    expect(m.successRate).toBeNull();
    expect(m.meanSeconds).toBeNull();
    expect(m.etaSeconds).toBeNull();
  });

  it('has no ETA once everything finished', () => {
    expect(executionMetrics([{ status: 'SUCCESS', executionTime: 1 }], 1, 1).etaSeconds).toBeNull();
  });
});
