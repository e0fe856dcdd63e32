// Announces the end of executions the user started: one `executionsFeed` subscription for the
// whole session (not one per execution); each FINISHED event of a watched execution goes to
// `announceFinished`.
import { useEffect } from 'react';
import { createRequest, useClient } from 'urql';
import { pipe, subscribe } from 'wonka';
import { ExecutionsFeedSubscription } from '../api/executions';
import { announceFinished } from './announce';

export function ExecutionWatcher() {
  const client = useClient();
  useEffect(() => {
    const subscription = pipe(
      client.executeSubscription(createRequest(ExecutionsFeedSubscription, {})),
      subscribe((result) => {
        const event = result.data?.executionsFeed;
        if (event?.kind === 'FINISHED') announceFinished(event.execution);
      }),
    );
    return () => subscription.unsubscribe();
  }, [client]);
  return null;
}
