// Tells the user how an execution they started ended — once: adds it to the notification
// center, shows a toast and, if they allowed it and the tab is hidden, a browser notification.
// Called by the watcher (from `executionsFeed`) and by the monitor when it sees the final
// state, whichever is first; executions nobody watches are ignored.
import { notifications } from '@mantine/notifications';
import type { ExecutionSummaryFragment } from '../gql/graphql';
import { isFinalExecution } from '../executions/describe';
import { notificationCenter } from './center';

export type Outcome = Pick<ExecutionSummaryFragment, 'executionId' | 'overall'> & {
  results: Pick<ExecutionSummaryFragment['results'], 'successCount' | 'totalCount'>;
};

/** True when it was announced now (it was watched and is final). */
export function announceFinished(execution: Outcome): boolean {
  const { executionId, overall } = execution;
  if (!isFinalExecution(overall)) return false;
  const ok = overall === 'COMPLETED';
  const title = `Execution ${executionId} ${overall === 'COMPLETED' ? 'completed' : overall === 'FAILED' ? 'failed' : 'was cancelled'}`;
  const message = `${execution.results.successCount} of ${execution.results.totalCount} servers succeeded.`;
  if (!notificationCenter.finish({ executionId, title, message, ok })) return false;
  notifications.show({ closeButtonProps: { 'aria-label': 'Close notification' }, title, message, color: ok ? 'teal.9' : 'red.9', autoClose: 8000, withBorder: true });
  if (typeof Notification !== 'undefined' && Notification.permission === 'granted' && document.visibilityState === 'hidden') {
    new Notification(title, { body: message, tag: executionId });
  }
  return true;
}
