// An agent certificate's state from the hub's `credentials`: revoked, none, expired, expiring
// soon (under 14 days) or valid, with the whole days left; and a short form of its fingerprint.
import type { CredentialsFieldsFragment } from '../gql/graphql';

export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

export type CertificateState =
  | { kind: 'revoked' }
  | { kind: 'none' }
  | { kind: 'expired'; days: number }
  | { kind: 'expiring'; days: number }
  | { kind: 'valid'; days: number };

export function certificateState(credentials: CredentialsFieldsFragment, now: number): CertificateState {
  if (credentials.revoked) return { kind: 'revoked' };
  if (!credentials.certificateNotAfter) return { kind: 'none' };
  const left = Date.parse(credentials.certificateNotAfter) - now;
  if (Number.isNaN(left)) return { kind: 'none' };
  if (left <= 0) return { kind: 'expired', days: Math.floor(-left / DAY_MS) };
  const days = Math.floor(left / DAY_MS);
  return days < EXPIRY_WARNING_DAYS ? { kind: 'expiring', days } : { kind: 'valid', days };
}

export function describeExpiry(state: CertificateState): string {
  switch (state.kind) {
    case 'revoked':
      return 'Revoked';
    case 'none':
      return 'No certificate';
    case 'expired':
      return state.days === 0 ? 'Expired today' : `Expired ${state.days} day${state.days === 1 ? '' : 's'} ago`;
    case 'expiring':
    case 'valid':
      return state.days === 0 ? 'Expires today' : `${state.days} day${state.days === 1 ? '' : 's'} left`;
  }
}

/** `SHA256:ab12…` → its first 8 and last 4 hex digits, e.g. `ab12cd34…ef56`. */
export function shortFingerprint(fingerprint: string): string {
  const bare = fingerprint.replace(/^sha256:/i, '');
  return bare.length <= 16 ? bare : `${bare.slice(0, 8)}…${bare.slice(-4)}`;
}
