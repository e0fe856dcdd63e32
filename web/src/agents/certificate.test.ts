import { describe, expect, it } from 'vitest';
import { certificateState, describeExpiry, shortFingerprint } from './certificate';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const creds = (notAfter: string | null, revoked = false) => ({ certificateFingerprint: 'ab', certificateNotAfter: notAfter, lastRotation: null, revoked });

describe('certificateState', () => {
  it('counts whole days left and warns under 14', () => {
    expect(certificateState(creds('2026-01-15T00:00:00Z'), NOW)).toEqual({ kind: 'valid', days: 14 });
    expect(certificateState(creds('2026-01-14T23:00:00Z'), NOW)).toEqual({ kind: 'expiring', days: 13 });
    expect(describeExpiry(certificateState(creds('2026-01-02T01:00:00Z'), NOW))).toBe('1 day left');
    expect(describeExpiry(certificateState(creds('2026-01-01T05:00:00Z'), NOW))).toBe('Expires today');
  });
  it('knows expired, missing and revoked certificates', () => {
    expect(describeExpiry(certificateState(creds('2025-12-29T00:00:00Z'), NOW))).toBe('Expired 3 days ago');
    expect(certificateState(creds(null), NOW)).toEqual({ kind: 'none' });
    expect(certificateState(creds('2027-01-01T00:00:00Z', true), NOW)).toEqual({ kind: 'revoked' });
  });
});

describe('shortFingerprint', () => {
  it('keeps the first 8 and last 4 digits', () => {
    expect(shortFingerprint('SHA256:0123456789abcdef0123456789abcdef')).toBe('01234567…cdef');
    expect(shortFingerprint('abcd')).toBe('abcd');
  });
});
