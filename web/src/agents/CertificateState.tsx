// The pieces that show an agent certificate: its state as a badge (revoked, expired, expiring in
// under 14 days, valid) and its fingerprint shortened, with a button that copies the whole of it.
import { Badge, Button, CopyButton, Group, Text, Tooltip } from '@mantine/core';
import type { CredentialsFieldsFragment } from '../gql/graphql';
import { certificateState, describeExpiry, shortFingerprint } from './certificate';

export function CertificateBadge({ credentials, now }: { credentials: CredentialsFieldsFragment; now: number }) {
  const state = certificateState(credentials, now);
  const text = describeExpiry(state);
  // Filled colours with ≥ 4.5:1 text contrast, as the server state badges.
  const color = { revoked: 'red.9', expired: 'red.9', expiring: 'yellow.5', none: 'gray.7', valid: 'teal.9' }[state.kind];
  return (
    <Badge color={color} c={state.kind === 'expiring' ? 'black' : 'white'} variant="filled" tt="none" data-testid="certificate-state" data-state={state.kind} title={credentials.certificateNotAfter ?? undefined}>
      {state.kind === 'expiring' ? `${text} — renew soon` : text}
    </Badge>
  );
}

export function Fingerprint({ value, label }: { value: string | null | undefined; label: string }) {
  if (!value) return <Text size="sm">–</Text>;
  return (
    <Group gap={6} wrap="nowrap">
      <Text size="sm" ff="monospace" title={value}>
        {shortFingerprint(value)}
      </Text>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? 'Copied' : 'Copy the full fingerprint'} withArrow>
            <Button size="compact-xs" variant="default" onClick={copy} aria-label={`Copy the fingerprint of ${label}`}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}
