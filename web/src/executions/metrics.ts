// Execution metrics computed from per-server job states: counts per state, progress, success
// rate, durations and an ETA extrapolated from the pace so far. Pure, so tests pin the numbers.
import type { JobState } from '../gql/graphql';
import { isFinalJob } from './describe';

export interface JobSample {
  status: JobState;
  executionTime: number;
}

export interface ExecutionMetrics {
  total: number;
  finished: number;
  counts: Partial<Record<JobState, number>>;
  /** 0–100. */
  progress: number;
  /** Successes over finished jobs, 0–100; null before any finished. */
  successRate: number | null;
  meanSeconds: number | null;
  p95Seconds: number | null;
  maxSeconds: number | null;
  /** Seconds until all jobs finish at the pace so far; null when unknown or done. */
  etaSeconds: number | null;
}

export function executionMetrics(jobs: readonly JobSample[], totalTargets: number, elapsedSeconds: number | null): ExecutionMetrics {
  const counts: Partial<Record<JobState, number>> = {};
  const durations: number[] = [];
  let finished = 0;
  let success = 0;
  for (const job of jobs) {
    counts[job.status] = (counts[job.status] ?? 0) + 1;
    if (isFinalJob(job.status)) {
      finished += 1;
      if (job.status === 'SUCCESS') success += 1;
      if (job.status !== 'SKIPPED' && job.executionTime > 0) durations.push(job.executionTime);
    }
  }
  const total = Math.max(totalTargets, jobs.length);
  durations.sort((a, b) => a - b);
  const mean = durations.length ? durations.reduce((s, d) => s + d, 0) / durations.length : null;
  const p95 = durations.length ? durations[Math.min(durations.length - 1, Math.ceil(0.95 * durations.length) - 1)]! : null;
  const remaining = total - finished;
  const eta = remaining > 0 && finished > 0 && elapsedSeconds !== null && elapsedSeconds > 0 ? (elapsedSeconds / finished) * remaining : null;
  return {
    total,
    finished,
    counts,
    progress: total === 0 ? 0 : (finished / total) * 100,
    successRate: finished === 0 ? null : (success / finished) * 100,
    meanSeconds: mean,
    p95Seconds: p95,
    maxSeconds: durations.length ? durations[durations.length - 1]! : null,
    etaSeconds: eta,
  };
}
