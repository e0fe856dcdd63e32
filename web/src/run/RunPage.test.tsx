// Action builder tests: the form generated from a template's typed parameters with inline
// errors, the hub's per-server preview, the confirmation dialog and the mutation it sends; the
// lock controls and the warning about targets locked by someone else.
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { describe, expect, it } from 'vitest';
import type { LockFieldsFragment, StartExecutionInput } from '../gql/graphql';
import { fakeClient, graphQLError } from '../test/client';
import { makeLock } from '../test/locks';
import { renderWithProviders } from '../test/render';
import { makeServers, serversPage } from '../test/servers';
import RunPage from './RunPage';

const TEMPLATE = {
  templateId: 'tpl-db',
  name: 'DB validate',
  description: 'Validates a database',
  category: 'database',
  actionType: 'validation',
  version: '1.0.0',
  commandTemplate: 'validate --db={db} --pw={password}',
  parameterDefinitions: [
    { name: 'db', type: 'STRING', required: true, default: null, validation: '^[a-z_]+$', description: 'Database', min: null, max: null, values: [] },
    { name: 'password', type: 'SECRET', required: true, default: null, validation: null, description: '', min: null, max: null, values: [] },
    { name: 'mode', type: 'ENUM', required: false, default: null, validation: null, description: '', min: null, max: null, values: ['fast', 'full'] },
  ],
  executionSettings: { timeoutSeconds: 300, retryCount: 0, retryDelaySeconds: 0, requiresLock: false, parallelExecution: true },
  successConditions: { exitCode: 0, outputContains: [], outputNotContains: [], executionTimeMax: null },
  applicableServerTags: [],
  metadata: { createdAt: '2025-01-01T00:00:00Z', createdBy: 'a@b', updatedAt: '2025-01-01T00:00:00Z', usageCount: 3 },
};

function setup(route = '/run?server=nonprod-web-01&server=nonprod-db-01', previewError = false, locks: LockFieldsFragment[] = []) {
  const fake = fakeClient({
    Me: () => ({ data: { me: { email: 'op@example.com', role: 'OPERATOR' } } }),
    ServerLocks: () => ({ data: { serverLocks: { totalCount: locks.length, nodes: locks } } }),
    ActionTemplates: () => ({ data: { actionTemplates: { totalCount: 1, nodes: [TEMPLATE] } } }),
    Servers: () => ({ data: serversPage(makeServers()) }),
    PreviewExecution: (variables) => {
      const input = variables.input as StartExecutionInput;
      if (previewError) return { error: graphQLError('parameters.db: must match ^[a-z_]+$') };
      const ids = input.targetServers?.length ? input.targetServers : input.selector ? makeServers().map((x) => x.serverId) : [];
      return {
        data: {
          previewExecution: {
            matchedCount: ids.length,
            runCount: ids.length,
            servers: ids.map((serverId) => ({ serverId, command: `hub: ${JSON.stringify(input.parameters ?? input.action)}`, skipped: false, reason: null })),
          },
        },
      };
    },
    StartExecution: () => ({ data: { startExecution: { execution: { executionId: 'exec-1' }, userErrors: [] } } }),
  });
  const user = userEvent.setup();
  renderWithProviders(
    <Routes>
      <Route path="/run" element={<RunPage />} />
      <Route path="/executions/:id" element={<p>monitor page</p>} />
    </Routes>,
    { client: fake.client, route },
  );
  return { ...fake, user };
}

describe('RunPage', () => {
  it('builds the form from typed parameters and shows errors inline', async () => {
    const { user } = setup();
    await user.selectOptions(await screen.findByRole('combobox', { name: 'Template' }), 'tpl-db');

    const db = screen.getByRole('textbox', { name: /^db/ });
    expect(screen.getByLabelText(/^password/)).toHaveAttribute('type', 'password');
    expect(screen.getByRole('combobox', { name: 'mode' })).toBeInTheDocument();

    await user.type(db, 'Bad-Name');
    await user.tab();
    expect(await screen.findByText('Must match ^[a-z_]+$')).toBeVisible();

    await user.click(screen.getByRole('button', { name: 'Review and run' }));
    const alert = screen.getByRole('alert', { name: 'Fix these before running' });
    expect(alert).toHaveTextContent('db: Must match ^[a-z_]+$');
    expect(alert).toHaveTextContent('password: Required');
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  // Types a few fields with user-event: allow for a busy machine.
  it('previews per server, confirms, sends the execution and opens the monitor', { timeout: 15_000 }, async () => {
    const { user, calls } = setup();
    await user.selectOptions(await screen.findByRole('combobox', { name: 'Template' }), 'tpl-db');
    await user.type(screen.getByRole('textbox', { name: /^db/ }), 'staging_db');
    await user.type(screen.getByLabelText(/^password/), 'hunter2');
    await user.type(screen.getByLabelText('Max concurrency'), '25%');
    await user.click(screen.getByRole('radio', { name: 'High' }));

    expect(screen.getByTestId('target-count')).toHaveTextContent('2 servers targeted');
    const preview = await screen.findByTestId('command-preview');
    await waitFor(() => expect(within(preview).getAllByText(/^hub: /)).toHaveLength(2));
    expect(within(preview).getByText('nonprod-db-01')).toBeVisible();

    await user.click(screen.getByRole('button', { name: 'Review and run' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Template “DB validate”');
    expect(dialog).toHaveTextContent('priority high, at most 25% at once');
    await user.click(within(dialog).getByRole('button', { name: 'Run on 2 servers' }));

    expect(await screen.findByText('monitor page')).toBeVisible();
    const start = calls.find((c) => c.name === 'StartExecution')!;
    expect(start.variables.input).toEqual({
      priority: 'HIGH',
      targetServers: ['nonprod-web-01', 'nonprod-db-01'],
      maxConcurrency: '25%',
      actionTemplateId: 'tpl-db',
      parameters: [
        { name: 'db', value: { string: 'staging_db' } },
        { name: 'password', value: { string: 'hunter2' } },
      ],
    });
  });

  it('shows every problem the hub finds with the input, and does not confirm', async () => {
    const { user } = setup(undefined, true);
    await user.selectOptions(await screen.findByRole('combobox', { name: 'Template' }), 'tpl-db');
    await user.type(screen.getByRole('textbox', { name: /^db/ }), 'x');
    await user.type(screen.getByLabelText(/^password/), 'p');
    expect(await screen.findByTestId('preview-problems')).toHaveTextContent('parameters.db: must match ^[a-z_]+$');
    await user.click(screen.getByRole('button', { name: 'Review and run' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('warns about targets locked by someone else, and sends and confirms the lock choices', async () => {
    const locks = [
      makeLock('nonprod-db-01', { userId: 'admin@example.com', reason: 'disk swap' }),
      // The signed-in user's own maintenance lock lets their executions through: no warning.
      makeLock('nonprod-web-01', { userId: 'op@example.com', reason: 'my own work' }),
      // Not a target.
      makeLock('nonprod-app-01', { userId: 'admin@example.com', reason: 'elsewhere' }),
    ];
    const { user, calls } = setup('/run?mode=adhoc&server=nonprod-web-01&server=nonprod-db-01', false, locks);
    await user.type(await screen.findByLabelText(/^Shell command/), 'uptime');

    const warning = await screen.findByTestId('lock-warning');
    expect(warning).toHaveTextContent('nonprod-db-01');
    expect(warning).toHaveTextContent('Maintenance lock by admin@example.com: disk swap');
    expect(warning).not.toHaveTextContent('nonprod-web-01');
    expect(warning).not.toHaveTextContent('elsewhere');
    expect(warning).toHaveTextContent('1 server: its job will wait until the lock ends');

    expect(screen.getByRole('radio', { name: 'Wait until it is free' })).toBeChecked();
    await user.click(screen.getByRole('radio', { name: 'Skip it' }));
    await user.click(screen.getByRole('checkbox', { name: /Take an execution lock on each server/ }));
    expect(screen.getByTestId('lock-warning')).toHaveTextContent('1 server: its job will be skipped with the lock as the reason');

    await user.click(screen.getByRole('button', { name: 'Review and run' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('confirm-locks')).toHaveTextContent('Takes an execution lock on each server while its job runs. Servers locked by someone else are skipped.');
    expect(within(dialog).getByTestId('confirm-lock-warning')).toHaveTextContent('nonprod-db-01: Maintenance lock by admin@example.com: disk swap');
    await user.click(within(dialog).getByRole('button', { name: 'Run on 2 servers' }));
    await screen.findByText('monitor page');
    expect(calls.find((c) => c.name === 'StartExecution')!.variables.input).toMatchObject({
      targetServers: ['nonprod-web-01', 'nonprod-db-01'],
      requiresLock: true,
      failIfLocked: true,
    });
  });

  it('says in the confirmation that it waits and takes no lock by default, with no warning when nothing is locked', async () => {
    const { user } = setup('/run?mode=adhoc&server=nonprod-web-01');
    await user.type(await screen.findByLabelText(/^Shell command/), 'uptime');
    await user.click(screen.getByRole('button', { name: 'Review and run' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('confirm-locks')).toHaveTextContent('Takes no lock of its own. On servers locked by someone else it waits until they are free.');
    expect(screen.queryByTestId('lock-warning')).toBeNull();
    expect(screen.queryByTestId('confirm-lock-warning')).toBeNull();
  });

  it('runs an ad-hoc command on servers matched by a selector', async () => {
    const { user, calls } = setup('/run?mode=adhoc');
    await user.type(await screen.findByLabelText(/^Shell command/), 'echo hello');
    await user.click(screen.getByRole('radio', { name: 'Selector' }));
    await user.selectOptions(screen.getByLabelText('Environment'), 'uat');
    expect(screen.getByTestId('target-count')).toHaveTextContent('1 server targeted');

    await user.click(screen.getByRole('button', { name: 'Review and run' }));
    await user.click(within(await screen.findByRole('dialog')).getByRole('button', { name: /^Run on/ }));
    await screen.findByText('monitor page');
    expect(calls.find((c) => c.name === 'StartExecution')!.variables.input).toEqual({
      priority: 'NORMAL',
      selector: { environment: 'uat', serverGroup: null, tags: [], status: null },
      action: { shellCommand: { command: 'echo hello', timeout: 60, environmentVars: [] } },
    });
  });

  it('runs on all servers: an empty selector, the hub’s count shown and confirmed', async () => {
    const { user, calls } = setup('/run?targets=all');
    expect(await screen.findByRole('radio', { name: 'All servers' })).toBeChecked();
    const total = makeServers().length;
    expect(await screen.findByTestId('all-servers')).toHaveTextContent(`${total} servers right now, by the hub’s count`);
    await user.click(screen.getByText('Ad-hoc command'));
    await user.type(screen.getByLabelText(/Shell command/), 'uptime');
    await waitFor(() => expect(screen.getByTestId('target-count')).toHaveTextContent(`${total} servers targeted`));
    await user.click(screen.getByRole('button', { name: 'Review and run' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/on every server of your tenant/)).toBeVisible();
    await user.click(within(dialog).getByRole('button', { name: `Run on ${total} servers` }));
    await waitFor(() => expect(calls.find((c) => c.name === 'StartExecution')?.variables.input).toMatchObject({ selector: { tags: [] } }));
    expect((calls.find((c) => c.name === 'StartExecution')?.variables.input as StartExecutionInput).targetServers).toBeUndefined();
  });
});
