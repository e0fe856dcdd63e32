// Browser tests of what an operator reaches for first, against the real demo hub and agents:
// the monitor's results per server (exit code, duration, error), "Failed only", the progress
// bar split by outcome, "Retry failed" and "Re-run" confirmed with the hub's preview and opening
// the new run; "All servers" in the Run form; "Run here" and "Lock" on a server's page; the
// history's sorting, clickable rows, quick ranges and pickers; quiet destructive buttons; and
// the servers list and history at a phone's width (390×844). axe-core (WCAG 2.1 AA) in light
// and dark on each view touched.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoAxeViolations, EXPECTED, openPage, runAdHoc, signInToServers, visibleServerIds, useBrowser, waitForFilledRed, SUITE_TIMEOUT_MS } from './helpers.mjs';

/** axe in light, then dark (the app follows the system scheme), back to light. */
async function axeBoth(page, where) {
  for (const colorScheme of /** @type {const} */ (['light', 'dark'])) {
    await page.emulateMedia({ colorScheme });
    await page.waitForFunction((s) => document.documentElement.getAttribute('data-mantine-color-scheme') === s, colorScheme, { timeout: 5_000 });
    await assertNoAxeViolations(page, `${where} (${colorScheme})`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const executionIdOf = (page) => decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
const finalState = (page) => page.getByTestId('execution-state').and(page.locator('[data-state="COMPLETED"], [data-state="FAILED"], [data-state="CANCELLED"]')).first();

describe('Greenroom: what an operator reaches for first', { timeout: SUITE_TIMEOUT_MS }, () => {
  const browser = useBrowser();

  test('monitor: results per server, failed only, outcome bar, retry failed and re-run', async () => {
    const { context, page, pageErrors } = await openPage(browser(), { colorScheme: 'light' });
    try {
      await signInToServers(page);
      const servers = (await visibleServerIds(page)).filter((s) => s !== null).sort();
      assert.equal(servers.length, EXPECTED);
      // All agents share this machine: exactly one of them makes the directory, the others fail.
      const dir = `/tmp/greenroom-op-e2e-${Date.now()}`;
      await page.goto(`${new URL(page.url()).origin}/run?${servers.map((s) => `server=${encodeURIComponent(s)}`).join('&')}`);
      const first = await runAdHoc(page, `mkdir ${dir} || exit 3`);
      await finalState(page).waitFor({ timeout: 60_000 });

      // One row per server with its state, exit code, duration and error.
      const rows = page.getByTestId('result-row');
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="result-row"]').length === n, EXPECTED);
      const states = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
      assert.equal(states.filter((s) => s === 'SUCCESS').length, 1, `one job succeeds: ${states}`);
      assert.equal(states.filter((s) => s === 'FAILED').length, EXPECTED - 1, `the others fail: ${states}`);
      const failedRow = page.locator('[data-testid="result-row"][data-state="FAILED"]').first();
      assert.equal((await failedRow.getByTestId('result-exit').textContent())?.trim(), '3');
      assert.match((await failedRow.textContent()) ?? '', /\d+(\.\d)? s/);
      const okRow = page.locator('[data-testid="result-row"][data-state="SUCCESS"]');
      assert.equal((await okRow.getByTestId('result-exit').textContent())?.trim(), '0');

      // The bar has a succeeded and a failed segment.
      const outcomes = await page.getByTestId('outcome-bar').locator('[data-outcome]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
      assert.deepEqual(outcomes, [`Succeeded: 1 of ${EXPECTED}`, `Failed (failed, timed out, unreachable): ${EXPECTED - 1} of ${EXPECTED}`]);
      await axeBoth(page, 'monitor with results');

      // Failed only: grid and table keep the failed ones.
      await page.getByRole('switch', { name: /Failed only/ }).check();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="result-row"]').length === n, EXPECTED - 1);
      assert.equal(await page.locator('[data-testid="job-cell"][data-state="SUCCESS"]').count(), 0);
      const failedIds = await page.locator('[data-testid="result-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-server-id')));

      // Retry failed: the confirmation shows the hub's preview for exactly those servers.
      await page.getByRole('button', { name: `Retry failed (${EXPECTED - 1})` }).click();
      const dialog = page.getByRole('dialog');
      const preview = dialog.getByTestId('rerun-preview');
      await preview.waitFor({ timeout: 10_000 });
      const previewed = await preview.getByTestId('preview-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-server-id')));
      assert.deepEqual(previewed, failedIds);
      await dialog.getByText(`mkdir ${dir} || exit 3`).first().waitFor();
      await axeBoth(page, 'retry failed confirmation');
      await dialog.getByRole('button', { name: `Run on ${EXPECTED - 1} servers` }).click();
      await page.waitForURL((url) => !url.pathname.endsWith(`/${encodeURIComponent(first)}`) && /\/executions\/[^/]+$/.test(url.pathname), { timeout: 10_000 });
      const retry = executionIdOf(page);
      assert.notEqual(retry, first);
      await finalState(page).waitFor({ timeout: 60_000 });
      // The rows are re-rendered as live updates arrive: wait for them to settle on the
      // failed servers (and fail if they never do).
      const want = [...failedIds].sort();
      const resultIds = () => [...document.querySelectorAll('[data-testid="result-row"]')].map((e) => e.getAttribute('data-server-id')).sort();
      const settled = await page
        .waitForFunction((w) => JSON.stringify([...document.querySelectorAll('[data-testid="result-row"]')].map((e) => e.getAttribute('data-server-id')).sort()) === JSON.stringify(w), want, { timeout: 15_000 })
        .then(() => true, () => false);
      assert.ok(settled, `the retry ran on the failed servers only: rows ${JSON.stringify(await page.evaluate(resultIds))}, wanted ${JSON.stringify(want)}`);

      // Re-run the retry: same servers again, a third execution.
      await page.getByRole('button', { name: 'Re-run' }).click();
      await page.getByRole('dialog').getByTestId('rerun-preview').waitFor({ timeout: 10_000 });
      await page.getByRole('dialog').getByRole('button', { name: `Run on ${EXPECTED - 1} servers` }).click();
      await page.waitForURL((url) => !url.pathname.endsWith(`/${encodeURIComponent(retry)}`), { timeout: 10_000 });
      await finalState(page).waitFor({ timeout: 60_000 });
      assert.notEqual(executionIdOf(page), retry);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('targets: "All servers" with the hub’s count; "Run here" and "Lock" on a server’s page', async () => {
    const { context, page, pageErrors } = await openPage(browser(), { colorScheme: 'light' });
    try {
      await signInToServers(page);
      const [server] = (await visibleServerIds(page)).sort();
      assert.ok(server);
      await page.goto(`${new URL(page.url()).origin}/servers/${encodeURIComponent(server)}`);
      await page.getByRole('heading', { level: 1, name: server }).waitFor();
      await axeBoth(page, 'server page with Run here and Lock');

      // Lock: reason, type and duration; the lock shows in the page's Locks card; then released.
      await page.getByRole('button', { name: 'Lock', exact: true }).click();
      const dialog = page.getByRole('dialog');
      assert.equal(await dialog.getByRole('combobox', { name: 'Server' }).inputValue(), server);
      await dialog.getByRole('textbox', { name: /Reason/ }).fill('operator e2e: disk swap');
      await dialog.getByText('Emergency', { exact: true }).click();
      await dialog.getByRole('textbox', { name: 'Lasts (minutes)' }).fill('15');
      await axeBoth(page, 'lock dialog on the server page');
      await dialog.getByRole('button', { name: 'Acquire lock' }).click();
      await dialog.waitFor({ state: 'hidden' });
      const locks = page.getByRole('region', { name: 'Locks' });
      await locks.getByText('operator e2e: disk swap').waitFor({ timeout: 10_000 });
      await locks.getByText(/emergency/i).first().waitFor();
      await locks.getByRole('button', { name: `Release the lock on ${server}` }).click();
      await locks.getByText('Not locked.').waitFor({ timeout: 10_000 });

      // Run here: the Run form with exactly this server targeted.
      await page.getByRole('link', { name: 'Run here' }).click();
      await page.waitForURL(/\/run\?server=/);
      await page.getByTestId('target-count').getByText('1 server targeted').waitFor({ timeout: 10_000 });
      await page.getByText('Ad-hoc command', { exact: true }).click();
      await page.getByLabel('Shell command').fill('echo run-here');
      const preview = page.getByTestId('command-preview');
      await preview.getByText('echo run-here', { exact: true }).waitFor({ timeout: 10_000 });
      assert.deepEqual(await preview.getByTestId('preview-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-server-id'))), [server]);

      // All servers: the hub's count of the whole fleet, every server previewed and run.
      await page.getByText('All servers', { exact: true }).click();
      await page.getByTestId('all-servers').getByText(`${EXPECTED} servers right now`, { exact: false }).waitFor({ timeout: 10_000 });
      await page.getByTestId('target-count').getByText(`${EXPECTED} servers targeted`).waitFor({ timeout: 10_000 });
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="command-preview"] [data-testid="preview-row"]').length === n, EXPECTED);
      await axeBoth(page, 'run form with All servers');
      await page.getByRole('button', { name: 'Review and run' }).click();
      const confirm = page.getByRole('dialog');
      await confirm.getByText(/on every server of your tenant/).waitFor();
      await confirm.getByRole('button', { name: `Run on ${EXPECTED} servers` }).click();
      await page.waitForURL(/\/executions\/[^/]+$/, { timeout: 10_000 });
      await finalState(page).waitFor({ timeout: 60_000 });
      assert.equal(await page.getByTestId('result-row').count(), EXPECTED);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('history: sortable columns, whole row opens (mouse and keyboard), quick ranges, initiator and environment pickers', async () => {
    const { context, page, pageErrors } = await openPage(browser(), { colorScheme: 'light' });
    try {
      await signInToServers(page);
      const origin = new URL(page.url()).origin;
      await page.goto(`${origin}/executions`);
      await page.getByTestId('execution-row').first().waitFor({ timeout: 10_000 });
      const count = await page.getByTestId('execution-row').count();
      assert.ok(count >= 2, `the earlier tests left executions (${count})`);

      // Sort by servers, both ways: the server counts come in order.
      const serverCounts = () => page.getByTestId('execution-row').evaluateAll((rows) => rows.map((r) => Number(r.querySelectorAll('td')[3]?.textContent)));
      const serversHeader = page.locator('th', { has: page.getByRole('button', { name: /^Sort this page by servers/ }) });
      await page.getByRole('button', { name: 'Sort this page by servers' }).click();
      await page.waitForFunction(() => [...document.querySelectorAll('th')].some((th) => th.getAttribute('aria-sort') === 'ascending' && th.textContent?.includes('Servers')));
      const asc = await serverCounts();
      assert.deepEqual(asc, [...asc].sort((a, b) => a - b));
      await page.getByRole('button', { name: 'Sort this page by servers, now ascending' }).click();
      await page.waitForFunction(() => [...document.querySelectorAll('th')].some((th) => th.getAttribute('aria-sort') === 'descending' && th.textContent?.includes('Servers')));
      const desc = await serverCounts();
      assert.deepEqual(desc, [...desc].sort((a, b) => b - a));
      assert.equal(await serversHeader.getAttribute('aria-sort'), 'descending');
      assert.match(page.url(), /sort=servers%3Adesc|sort=servers:desc/);
      await axeBoth(page, 'history sorted');

      // The whole row opens the execution: a click on its initiator cell…
      const firstRow = page.getByTestId('execution-row').first();
      const id = await firstRow.getAttribute('data-execution-id');
      await firstRow.locator('td').nth(5).click();
      await page.waitForURL((url) => url.pathname === `/executions/${encodeURIComponent(id ?? '')}`);
      await page.goBack();
      // …or Tab to it and Enter.
      const second = page.getByTestId('execution-row').nth(1);
      const secondId = await second.getAttribute('data-execution-id');
      await second.focus();
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.pathname === `/executions/${encodeURIComponent(secondId ?? '')}`);
      await page.goBack();
      await page.getByTestId('execution-row').first().waitFor();

      // Quick range: the last hour holds what the tests just ran.
      await page.getByRole('button', { name: 'Last hour' }).click();
      await page.waitForURL(/range=1h/);
      await page.locator('button[aria-pressed="true"]', { hasText: '1 h' }).waitFor();
      await page.getByTestId('execution-row').first().waitFor();
      assert.equal(await page.getByLabel('From').inputValue(), '');

      // Initiator and environment are picked from lists.
      const by = page.getByRole('combobox', { name: 'Initiated by' });
      const initiators = await by.locator('option').allTextContents();
      assert.ok(initiators.includes('admin@example.com'), `initiators offered: ${initiators}`);
      await by.selectOption('admin@example.com');
      await page.waitForURL(/by=admin%40example\.com/);
      const env = page.getByRole('combobox', { name: 'Environment' });
      const environments = await env.locator('option').allTextContents();
      for (const e of ['dev', 'staging', 'uat']) assert.ok(environments.includes(e), `environments offered: ${environments}`);
      // No server of the demo is in preprod: the hub finds no execution there.
      await env.selectOption('preprod');
      await page.waitForURL(/environment=preprod/);
      await page.getByText('No executions match these filters.').waitFor({ timeout: 10_000 });
      await env.selectOption('');
      await page.getByTestId('execution-row').first().waitFor({ timeout: 10_000 });
      await axeBoth(page, 'history with quick range and pickers');
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('destructive buttons are quiet until hovered or focused, and confirmed', async () => {
    const { context, page, pageErrors } = await openPage(browser(), { colorScheme: 'light' });
    try {
      await signInToServers(page);
      const [server] = (await visibleServerIds(page)).sort();
      await page.goto(`${new URL(page.url()).origin}/run?server=${encodeURIComponent(server ?? '')}`);
      await runAdHoc(page, 'sleep 30');
      const cancel = page.getByRole('button', { name: 'Cancel execution' });
      await cancel.waitFor();
      await page.mouse.move(0, 0);
      await waitForFilledRed(page, cancel, false, 'Cancel is quiet at rest');
      await cancel.hover();
      await waitForFilledRed(page, cancel, true, 'Cancel is filled red on hover');
      await page.mouse.move(0, 0);
      await waitForFilledRed(page, cancel, false, 'Cancel is quiet again when the mouse leaves');
      await axeBoth(page, 'monitor with a quiet Cancel');
      await cancel.click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(/Servers that have not started will not run it/).waitFor();
      await dialog.getByRole('button', { name: 'Keep running' }).click();
      await dialog.waitFor({ state: 'hidden' });
      assert.notEqual(await page.getByTestId('execution-state').getAttribute('data-state'), 'CANCELLED');
      await cancel.click();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel execution' }).click();
      await page.getByTestId('execution-state').and(page.locator('[data-state="CANCELLED"]')).waitFor({ timeout: 30_000 });
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('phone (390×844): filters folded, cards, state badge visible without sideways scrolling', async () => {
    const { context, page, pageErrors } = await openPage(browser(), { colorScheme: 'light', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      await signInToServers(page);
      const noSideways = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      const inView = async (locator) => {
        const box = await locator.boundingBox();
        assert.ok(box, 'the badge is laid out');
        assert.ok(box.x >= 0 && box.x + box.width <= 390, `badge within the 390 px viewport (x=${box.x}, w=${box.width})`);
      };

      // Servers: the filter bar is folded; cards carry the state badge in view.
      const toggle = page.getByRole('button', { name: /^Filters/ });
      await toggle.waitFor();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      assert.equal(await page.getByRole('search', { name: 'Filter servers' }).isVisible(), false);
      assert.equal(await page.getByRole('table').count(), 0);
      const cards = page.getByTestId('server-row');
      assert.equal(await cards.count(), EXPECTED);
      await inView(cards.first().getByTestId('status-badge'));
      assert.ok(await noSideways(), 'the servers page does not scroll sideways');
      await axeBoth(page, 'servers on a phone');
      await toggle.click();
      const bar = page.getByRole('search', { name: 'Filter servers' });
      await bar.waitFor();
      await bar.getByText('dev', { exact: true }).click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="server-row"]').length === 1);
      await page.getByRole('button', { name: 'Hide filters (1 set)' }).waitFor();
      await axeBoth(page, 'servers on a phone, filters open');

      // History: the same.
      await page.goto(`${new URL(page.url()).origin}/executions`);
      const historyToggle = page.getByRole('button', { name: /^Filters/ });
      await historyToggle.waitFor();
      assert.equal(await page.getByRole('search', { name: 'Filter executions' }).isVisible(), false);
      const rows = page.getByTestId('execution-row');
      await rows.first().waitFor({ timeout: 10_000 });
      assert.equal(await page.getByRole('table').count(), 0);
      await inView(rows.first().getByTestId('execution-state'));
      assert.ok(await noSideways(), 'the history does not scroll sideways');
      await axeBoth(page, 'history on a phone');
      await historyToggle.click();
      await page.getByRole('search', { name: 'Filter executions' }).waitFor();
      await axeBoth(page, 'history on a phone, filters open');
      // A card opens its execution.
      const id = await rows.first().getAttribute('data-execution-id');
      await rows.first().getByText(/servers? ·/).click();
      await page.waitForURL((url) => url.pathname === `/executions/${encodeURIComponent(id ?? '')}`);
      await page.getByTestId('result-row').first().waitFor({ timeout: 10_000 });
      assert.ok(await noSideways(), 'the monitor does not scroll sideways');
      await axeBoth(page, 'monitor on a phone');
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });
});
