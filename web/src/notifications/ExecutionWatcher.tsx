// Watches the executions the user started (one `executionUpdates` subscription each) and, when
// one ends, adds it to the notification center, shows a toast and — if the user allowed it — a
// browser notification.
import { notifications } from '@mantine/notifications';
import { useEffect } from 'react';
import { useSubscription } from 'urql';
import { ExecutionOutcomeSubscription } from '../api/executions';
import { isFinalExecution } from '../executions/describe';
import { notificationCenter, useNotificationCenter } from './center';

function Watch({ executionId }: { executionId: string }) {
  const [{ data }] = useSubscription({ query: ExecutionOutcomeSubscription, variables: { executionId } });
  const execution = data?.executionUpdates;
  const overall = execution?.overall;
  const success = execution?.results.successCount ?? 0;
  const total = execution?.results.totalCount ?? 0;
  useEffect(() => {
    if (!overall || !isFinalExecution(overall)) return;
    const ok = overall === 'COMPLETED';
    const title = `Execution ${executionId} ${overall === 'COMPLETED' ? 'completed' : overall === 'FAILED' ? 'failed' : 'was cancelled'}`;
    const message = `${success} of ${total} servers succeeded.`;
    if (!notificationCenter.finish({ executionId, title, message, ok })) return;
    notifications.show({
      closeButtonProps: { 'aria-label': 'Close notification' }, title, message, color: ok ? 'teal.9' : 'red.9', autoClose: 8000, withBorder: true });
    if (typeof Notification !== 'undefined' && Notification.permission === 'granted' && document.visibilityState === 'hidden') {
      new Notification(title, { body: message, tag: executionId });
    }
  }, [overall, executionId, success, total]);
  return null;
}

export function ExecutionWatcher() {
  const { watching } = useNotificationCenter();
  return (
    <>
      {watching.map((id) => (
        <Watch key={id} executionId={id} />
      ))}
    </>
  );
}
