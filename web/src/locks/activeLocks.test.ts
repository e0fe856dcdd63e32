// The lock rule as the dashboard mirrors it: active, unexpired locks only; a manual lock lets its
// owner through and nobody else; an execution lock lets only that execution through.
import { describe, expect, it } from 'vitest';
import { makeLock } from '../test/locks';
import { blockingLocks, blocks, describeLock, locksByServer } from './activeLocks';

describe('active locks', () => {
  it('keeps active, unexpired locks by server', () => {
    const map = locksByServer([makeLock('a'), makeLock('b', { status: 'RELEASED' }), makeLock('c', { expiresInMs: -1 })]);
    expect([...map.keys()]).toEqual(['a']);
  });

  it("blocks everyone but a manual lock's owner, and every other execution for an execution lock", () => {
    const manual = makeLock('a', { userId: 'admin@x' });
    expect(blocks(manual, { user: 'admin@x' })).toBe(false);
    expect(blocks(manual, { user: 'op@x' })).toBe(true);
    const exec = makeLock('a', { userId: 'op@x', executionId: 'e1', lockType: 'EXECUTION' });
    expect(blocks(exec, { user: 'op@x', executionId: 'e1' })).toBe(false);
    expect(blocks(exec, { user: 'op@x', executionId: 'e2' })).toBe(true);
    expect(blocks(exec, { user: 'op@x' })).toBe(true);
  });

  it('lists the blocking locks among the targets, once each, in target order', () => {
    const map = locksByServer([makeLock('b', { userId: 'admin@x' }), makeLock('a', { userId: 'admin@x' }), makeLock('c', { userId: 'op@x' })]);
    expect(blockingLocks(['a', 'c', 'b', 'a', 'z'], map, { user: 'op@x' }).map((l) => l.serverId)).toEqual(['a', 'b']);
  });

  it('describes type, owner, reason and expiry', () => {
    expect(describeLock(makeLock('a', { userId: 'admin@x', reason: 'disk swap', lockType: 'EMERGENCY' }))).toMatch(/^Emergency lock by admin@x: disk swap \(until .+\)$/);
  });
});
