// Browser tests of the admin views of issue #16 against a running hub with agents (Debian's
// Chromium driven by playwright-core): the audit log's filters (kept in the URL, applied by the
// hub), sign-ins hidden by default, an entry linking to its execution; schedules as a form (a
// template with its parameter form, targets, a cron with its human reading and next runs from the
// hub); template settings and success criteria as fields. axe-core in light and dark on each.
//
//   GREENROOM_URL, GREENROOM_ADMIN_EMAIL, GREENROOM_ADMIN_PASSWORD, GREENROOM_EXPECT_SERVERS,
//   GREENROOM_CHROMIUM — as for login.e2e.mjs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiToken, assertNoAxeViolations, BASE_URL, graphql, openPage, signInToServers, useBrowser, SUITE_TIMEOUT_MS } from './helpers.mjs';

describe('Greenroom admin views', { timeout: SUITE_TIMEOUT_MS }, () => {
  const browser = useBrowser();

  test('audit: filters in the URL, sign-ins hidden by default, an entry links to its execution', async () => {
    const token = await apiToken();
    const { servers } = await graphql(token, 'query { servers(first: 5) { nodes { serverId } } }');
    const target = servers.nodes[0]?.serverId;
    assert.ok(target, 'the hub has a server to run on');
    const { startExecution } = await graphql(
      token,
      'mutation($input: StartExecutionInput!) { startExecution(input: $input) { execution { executionId } userErrors { field code message } } }',
      { input: { action: { shellCommand: { command: 'echo audit-e2e', timeout: 10 } }, targetServers: [target] } },
    );
    const executionId = startExecution.execution.executionId;

    for (const colorScheme of /** @type {const} */ (['light', 'dark'])) {
      const { context, page, pageErrors } = await openPage(browser(), { colorScheme });
      try {
        await signInToServers(page);
        await page.goto(`${BASE_URL}/audit`);
        const rows = page.getByTestId('audit-row');
        await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
        // Sign-ins are folded away by default: this test's own sign-ins are not listed.
        const toggle = page.getByRole('switch', { name: 'Hide sign-ins and sign-outs' });
        assert.equal(await toggle.isChecked(), true, 'sign-ins are hidden by default');
        assert.equal(await rows.filter({ hasText: 'user_login' }).count(), 0, 'no sign-in rows while hidden');
        await toggle.click({ force: true });
        await page.waitForURL(/signIns=show/, { timeout: 5_000 });
        await rows.filter({ hasText: 'user_login' }).first().waitFor({ state: 'visible', timeout: 10_000 });

        // Filters typed go to the URL and the hub answers only matching entries.
        await page.getByRole('textbox', { name: 'Resource id' }).fill(executionId);
        await page.waitForURL(new RegExp(`resourceId=${executionId}`), { timeout: 5_000 });
        await page.waitForFunction(
          (id) => {
            const r = [...document.querySelectorAll('[data-testid="audit-row"]')];
            return r.length > 0 && r.every((row) => row.textContent?.includes(id) || row.textContent?.includes('shell_command'));
          },
          executionId,
          { timeout: 10_000 },
        );
        assert.equal(await rows.filter({ hasText: 'execution_started' }).count(), 1, 'the execution’s start is listed');
        assert.match((await page.getByTestId('audit-total').textContent()) ?? '', /^1 entry match/);
        await assertNoAxeViolations(page, `audit with filters (${colorScheme})`);

        // The URL alone restores the view (a shared link); the entry links to the monitor.
        const url = page.url();
        await page.goto(url);
        await page.getByRole('textbox', { name: 'Resource id' }).waitFor({ state: 'visible' });
        assert.equal(await page.getByRole('textbox', { name: 'Resource id' }).inputValue(), executionId);
        await page.getByRole('link', { name: /^execution / }).first().click();
        await page.waitForURL(new RegExp(`/executions/${executionId}$`), { timeout: 5_000 });

        // A filter that matches nothing says so.
        await page.goto(`${BASE_URL}/audit?actor=nobody%40example.com`);
        await page.getByText('No entries match these filters.').waitFor({ state: 'visible', timeout: 10_000 });
        assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
      } finally {
        await context.close();
      }
    }
  });

  test('schedules: a form with a template’s parameters, targets and a cron read out with the hub’s next runs', async () => {
    const name = `e2e nightly disk ${Date.now()}`;
    for (const colorScheme of /** @type {const} */ (['light', 'dark'])) {
      const { context, page, pageErrors } = await openPage(browser(), { colorScheme });
      try {
        await signInToServers(page);
        await page.goto(`${BASE_URL}/schedules`);
        await page.getByRole('button', { name: 'New schedule' }).click();
        const cron = page.getByRole('textbox', { name: 'Cron expression' });
        // A bad weekday: the hub's cronPreview names the problem at the field.
        await cron.fill('0 9 * * 8');
        await page.getByText(/weekday field "8"/).waitFor({ state: 'visible', timeout: 10_000 });
        // Standard 5-field cron: in words, and the next five runs from the hub.
        await cron.fill('0 9 * * 1-5');
        await page.getByText('At 09:00, Monday through Friday (UTC)').waitFor({ state: 'visible', timeout: 10_000 });
        await page.getByTestId('cron-next-runs').waitFor({ state: 'visible', timeout: 10_000 });
        assert.equal(await page.getByTestId('cron-next-runs').getByRole('listitem').count(), 5);

        // Saving with nothing chosen names each field.
        await page.getByRole('button', { name: 'Create schedule' }).click();
        const problems = page.getByRole('alert').filter({ hasText: 'Fix these and save again' });
        await problems.waitFor({ state: 'visible', timeout: 5_000 });
        for (const text of ['Name is required', 'Choose a template', 'Choose at least one server']) {
          assert.ok(((await problems.textContent()) ?? '').includes(text), `the problems list says "${text}"`);
        }
        assert.equal(await page.getByRole('textbox', { name: 'Name' }).getAttribute('aria-invalid'), 'true', 'the name field is marked');
        await assertNoAxeViolations(page, `schedule form with problems (${colorScheme})`);

        await page.getByRole('textbox', { name: 'Name' }).fill(`${name} ${colorScheme}`);
        await page.getByRole('combobox', { name: 'Template' }).selectOption({ label: 'Disk space (validation)' });
        // The template's typed parameters, with their defaults.
        await page.getByRole('textbox', { name: 'mount' }).waitFor({ state: 'visible' });
        assert.equal(await page.getByRole('textbox', { name: 'mount' }).inputValue(), '/');
        // Mantine's segmented control hides its radios under their labels: click the label.
        await page.locator('label', { hasText: /^Selector$/ }).click();
        assert.equal(await page.getByRole('radio', { name: 'Selector' }).isChecked(), true);
        await page.getByRole('combobox', { name: 'Environment' }).selectOption({ index: 1 });
        await page.getByTestId('selector-matches').waitFor({ state: 'visible' });
        assert.match((await page.getByTestId('selector-matches').textContent()) ?? '', /^Matches [1-9]\d* servers? now/);
        await page.getByRole('textbox', { name: 'Max concurrency' }).fill('50%');
        await page.getByRole('textbox', { name: 'Failure threshold' }).fill('1');
        await assertNoAxeViolations(page, `schedule form filled (${colorScheme})`);
        await page.getByRole('button', { name: 'Create schedule' }).click();

        const row = page.getByRole('row').filter({ hasText: `${name} ${colorScheme}` });
        await row.waitFor({ state: 'visible', timeout: 10_000 });
        assert.match((await row.textContent()) ?? '', /cron 0 9 \* \* 1-5.*At 09:00, Monday through Friday/);
        await assertNoAxeViolations(page, `schedules list (${colorScheme})`);

        await row.getByRole('button', { name: /^Delete schedule/ }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Delete schedule' }).click();
        await row.waitFor({ state: 'detached', timeout: 10_000 });
        assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
      } finally {
        await context.close();
      }
    }
  });
});
