// Says so when the browser is offline: the installed app's shell still opens (from the service
// worker), but live data and sign-in wait for the connection.
import { Alert } from '@mantine/core';
import { useNetwork } from '@mantine/hooks';

export function OfflineBanner() {
  const { online } = useNetwork();
  if (online) return null;
  return (
    <Alert color="yellow" variant="filled" c="black" role="status" radius={0} data-testid="offline-banner" title="You are offline" style={{ position: 'sticky', top: 0, zIndex: 300 }}>
      Greenroom opened from this device, but servers, executions and sign-in need the hub. They come back by themselves when the connection does.
    </Alert>
  );
}
