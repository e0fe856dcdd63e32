// Browser tests of the operations dashboard against the real demo hub and agents: filter and
// select servers, build and preview an ad-hoc `echo hello`, run it and watch "hello" arrive in
// the monitor, watch a slow loop's lines arrive one by one while it runs, cancel a long run,
// export CSV / JSON / PDF (and the hub's compliance report, incl. its PDF), create a user,
// acquire and release a lock; a maintenance lock held by the admin shown on the servers list,
// warned about on another user's run form and their job skipped with the lock as the reason
// (the History State column whole at 1280 px); a webhook notification rule sent to a local receiver (test
// delivered; a bad URL and email without SMTP refused), switch and remember the theme, install
// as a PWA and open offline, use the keyboard shortcuts; then an axe-core (WCAG 2.1 AA) scan of
// every view in both themes, saving 1280x800 screenshots of the main views to docs/screenshots/.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { assertNoAxeViolations, BASE_URL, checkEnvironment, EMAIL, EXPECTED, launch, openPage, runAdHoc, SCREENSHOTS, signInToServers, startWebhookReceiver, visibleServerIds, SUITE_TIMEOUT_MS } from './helpers.mjs';

const filterBar = (page) => page.getByRole('search', { name: 'Filter servers' });

async function download(page, open, item) {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), (async () => {
    await open();
    await page.getByRole('menuitem', { name: item, exact: true }).click();
  })()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), body: await readFile(path) };
}

describe('Greenroom operations dashboard', { timeout: SUITE_TIMEOUT_MS }, () => {
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  let executionId = '';

  before(async () => {
    checkEnvironment();
    browser = await launch();
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
  });

  test('filters and selects servers, runs echo hello and sees the output arrive live', async () => {
    const { context, page, pageErrors } = await openPage(browser);
    try {
      await signInToServers(page);
      const all = await visibleServerIds(page);
      assert.equal(all.length, EXPECTED);

      // Filter by one environment: the demo puts one agent in each of dev, staging, uat.
      await filterBar(page).getByText('dev', { exact: true }).click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="server-row"]').length === 1);
      assert.match(page.url(), /environment=dev/);
      await filterBar(page).getByText('dev', { exact: true }).click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="server-row"]').length === n, EXPECTED);

      // Search narrows by text.
      await page.getByRole('searchbox', { name: 'Search' }).fill(all[0]);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="server-row"]').length === 1);
      await page.getByRole('searchbox', { name: 'Search' }).fill('');
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="server-row"]').length === n, EXPECTED);

      // Select all, then `r` runs on the selection.
      await page.getByRole('checkbox', { name: `Select all ${EXPECTED} servers shown` }).check();
      await page.getByTestId('selection-bar').getByText(`${EXPECTED} servers selected`).waitFor();
      await page.locator('body').click({ position: { x: 5, y: 300 } });
      await page.keyboard.press('r');
      await page.waitForURL(/\/run\?targets=selection/);
      await page.getByTestId('target-count').getByText(`${EXPECTED} servers targeted`).waitFor();

      executionId = await runAdHoc(page, 'echo hello');
      assert.ok(executionId);
      await page.getByTestId('log-view').getByText('hello', { exact: true }).first().waitFor({ timeout: 30_000 });
      await page.getByTestId('execution-state').and(page.locator('[data-state="COMPLETED"]')).waitFor({ timeout: 30_000 });
      await page
        .waitForFunction((n) => document.querySelector('[data-testid="progress-text"]')?.textContent?.startsWith(`${n} of ${n} done`), EXPECTED, { timeout: 10_000 })
        .catch(async (error) => assert.fail(`progress shows "${await page.getByTestId('progress-text').textContent()}": ${error.message.split('\n')[0]}`));
      const cells = await page.getByTestId('job-cell').count();
      assert.equal(cells, EXPECTED);
      // The toast for an execution you started.
      await page.getByText(`Execution ${executionId} completed`).first().waitFor({ timeout: 10_000 });
      // Results export from the monitor.
      const json = await download(page, () => page.getByTestId(`export-execution-${executionId}`).click(), 'JSON');
      assert.equal(JSON.parse(json.body.toString()).executionId, executionId);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('shows the output of a running execution live, line by line, in order', async () => {
    const { context, page, pageErrors } = await openPage(browser);
    try {
      await signInToServers(page);
      const [first] = await visibleServerIds(page);
      await page.goto(`${BASE_URL}/run?server=${encodeURIComponent(first)}`);
      await runAdHoc(page, 'for i in 1 2 3 4 5 6; do echo live-line-$i; sleep 1; done');
      const log = page.getByTestId('log-view');
      // The first line is on screen while the loop still runs: it came with the stream, not at the end.
      await log.getByText('live-line-1', { exact: true }).waitFor({ timeout: 20_000 });
      assert.notEqual(await page.getByTestId('execution-state').getAttribute('data-state'), 'COMPLETED');
      assert.equal(await log.getByText('live-line-6', { exact: true }).count(), 0);
      await log.getByText('live-line-6', { exact: true }).waitFor({ timeout: 20_000 });
      await page.getByTestId('execution-state').and(page.locator('[data-state="COMPLETED"]')).waitFor({ timeout: 20_000 });
      const lines = await log.getByTestId('log-line').allTextContents();
      assert.deepEqual(
        lines.map((l) => l.replace(/^\S+\s+/, '')),
        [1, 2, 3, 4, 5, 6].map((i) => `live-line-${i}`),
        'each line once, in order',
      );
      assert.equal(await page.getByTestId('log-notice').count(), 0, 'no events were missed');
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('cancels a long run', async () => {
    const { context, page, pageErrors } = await openPage(browser);
    try {
      await signInToServers(page);
      const [first] = await visibleServerIds(page);
      await page.goto(`${BASE_URL}/run?server=${encodeURIComponent(first)}`);
      await runAdHoc(page, 'sleep 60');
      await page.getByRole('button', { name: 'Cancel execution' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel execution' }).click();
      await page.getByTestId('execution-state').and(page.locator('[data-state="CANCELLED"]')).waitFor({ timeout: 30_000 });
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('exports the servers list as CSV, JSON and PDF', async () => {
    const { context, page } = await openPage(browser);
    try {
      await signInToServers(page);
      const ids = await visibleServerIds(page);
      const openMenu = () => page.getByTestId('export-servers').click();
      const csv = await download(page, openMenu, 'CSV');
      assert.match(csv.name, /^servers-.*\.csv$/);
      const lines = csv.body.toString().trim().split(/\r\n/);
      assert.match(lines[0], /^server_id,hostname,ip_address,environment/);
      assert.equal(lines.length, ids.length + 1);
      const json = await download(page, openMenu, 'JSON');
      assert.deepEqual(JSON.parse(json.body.toString()).map((s) => s.server_id).sort(), [...ids].sort());
      const pdf = await download(page, openMenu, 'PDF');
      assert.match(pdf.name, /\.pdf$/);
      assert.equal(pdf.body.subarray(0, 5).toString(), '%PDF-');

      // The audit log's compliance report, from the hub.
      await page.goto(`${BASE_URL}/audit`);
      await page.getByTestId('audit-row').first().waitFor();
      const report = await download(page, () => page.getByRole('button', { name: 'Compliance report' }).click(), 'CSV');
      assert.match(report.name, /^compliance-report-.*\.csv$/);
      assert.ok(report.body.length > 0);
      // Its PDF is the hub's own, downloaded as it came.
      const reportPdf = await download(page, () => page.getByRole('button', { name: 'Compliance report' }).click(), 'PDF');
      assert.match(reportPdf.name, /^compliance-report-.*\.pdf$/);
      assert.equal(reportPdf.body.subarray(0, 5).toString(), '%PDF-');
    } finally {
      await context.close();
    }
  });

  test('switches the theme (remembered) and uses the keyboard shortcuts', async () => {
    const { context, page, pageErrors } = await openPage(browser, { colorScheme: 'light' });
    try {
      await signInToServers(page);
      const scheme = () => page.evaluate(() => document.documentElement.getAttribute('data-mantine-color-scheme'));
      assert.equal(await scheme(), 'light');
      await page.getByTestId('color-scheme-toggle').click();
      await page.getByRole('menuitem', { name: /^Dark/ }).click();
      assert.equal(await scheme(), 'dark');
      await page.reload();
      await page.getByTestId('server-count').waitFor();
      assert.equal(await scheme(), 'dark', 'the choice survives a reload');
      await page.keyboard.press('Shift+T');
      assert.equal(await scheme(), 'light');

      await page.keyboard.press('?');
      await page.getByTestId('shortcuts-help').waitFor();
      await page.keyboard.press('Escape');
      await page.getByTestId('shortcuts-help').waitFor({ state: 'detached' });

      await page.keyboard.press('g');
      await page.keyboard.press('e');
      await page.waitForURL(/\/executions$/);
      await page.getByTestId('execution-count').waitFor();
      await page.keyboard.press('g');
      await page.keyboard.press('s');
      await page.waitForURL(/\/servers$/);
      await page.getByTestId('server-count').waitFor();
      await page.keyboard.press('/');
      assert.equal(await page.evaluate(() => document.activeElement?.hasAttribute('data-shortcut-search')), true);
      await page.keyboard.press('Escape');
      await page.locator('body').click({ position: { x: 5, y: 300 } });
      await page.keyboard.press('g');
      await page.keyboard.press('r');
      await page.waitForURL(/\/run$/);
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('creates a template, then deletes it', async () => {
    const { context, page, pageErrors } = await openPage(browser);
    try {
      await signInToServers(page);
      await page.goto(`${BASE_URL}/templates/new`);
      await page.getByRole('tab', { name: 'JSON' }).click();
      const doc = await page.getByLabel('Template (JSON)').inputValue();
      await page.getByLabel('Template (JSON)').fill(doc.replace('"Check disk"', '"E2E disk check"'));
      await page.getByRole('button', { name: 'Create template' }).click();
      await page.getByRole('heading', { name: 'E2E disk check' }).waitFor();
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete template' }).click();
      await page.waitForURL(/\/templates$/);
      await page.getByTestId('template-row').first().waitFor();
      assert.equal(await page.getByText('E2E disk check').count(), 0);

      // Schedules (their form, create and delete) are admin.e2e.mjs's.
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('as admin creates a user and sees it listed; acquires and releases a lock', async () => {
    const { context, page, pageErrors } = await openPage(browser);
    try {
      await signInToServers(page);
      const email = `e2e-${Date.now()}@example.com`;
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Users/ }).click();
      await page.getByTestId('user-row').first().waitFor();
      await page.getByLabel('Email').fill(email);
      await page.getByRole('textbox', { name: 'Password' }).fill('e2e-password-long');
      await page.getByLabel('Role', { exact: true }).selectOption('OPERATOR');
      await page.getByRole('button', { name: 'Create user' }).click();
      await page.locator(`[data-testid="user-row"][data-email="${email}"]`).waitFor({ timeout: 10_000 });
      assert.equal(await page.getByLabel(`Role of ${email}`).inputValue(), 'OPERATOR');

      await page.goto(`${BASE_URL}/locks`);
      await page.getByRole('button', { name: 'Acquire lock' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Server').locator('option').first().waitFor({ state: 'attached' });
      const serverId = await dialog.getByLabel('Server').inputValue();
      await dialog.getByLabel('Reason').fill('E2E maintenance');
      await dialog.getByRole('button', { name: 'Acquire lock' }).click();
      await page.getByRole('cell', { name: 'E2E maintenance', exact: true }).waitFor({ timeout: 10_000 });
      await page.getByRole('button', { name: `Release the lock on ${serverId}` }).click();
      await page.getByRole('cell', { name: 'E2E maintenance', exact: true }).waitFor({ state: 'detached', timeout: 10_000 });
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test("a maintenance lock shows on the servers list, warns another user's run and skips their job with the reason", async () => {
    const stamp = Date.now();
    const reason = `E2E lock rule ${stamp}`;
    const operator = { email: `e2e-op-${stamp}@example.com`, password: 'e2e-operator-password' };
    const admin = await openPage(browser, { colorScheme: 'light' });
    let op;
    let lockedServer = '';
    try {
      // As admin: a second user (an operator), then a maintenance lock on a server.
      await signInToServers(admin.page);
      await admin.page.goto(`${BASE_URL}/users`);
      await admin.page.getByTestId('user-row').first().waitFor();
      await admin.page.getByLabel('Email').fill(operator.email);
      await admin.page.getByRole('textbox', { name: 'Password' }).fill(operator.password);
      await admin.page.getByLabel('Role', { exact: true }).selectOption('OPERATOR');
      await admin.page.getByRole('button', { name: 'Create user' }).click();
      await admin.page.locator(`[data-testid="user-row"][data-email="${operator.email}"]`).waitFor({ timeout: 10_000 });

      await admin.page.goto(`${BASE_URL}/locks`);
      await admin.page.getByRole('button', { name: 'Acquire lock' }).click();
      const dialog = admin.page.getByRole('dialog');
      await dialog.getByLabel('Server').locator('option').first().waitFor({ state: 'attached' });
      lockedServer = await dialog.getByLabel('Server').inputValue();
      await dialog.getByLabel('Reason').fill(reason);
      await dialog.getByRole('button', { name: 'Acquire lock' }).click();
      await admin.page.getByRole('cell', { name: reason, exact: true }).waitFor({ timeout: 10_000 });

      // The servers list: a badge on that row only, naming owner, reason and expiry.
      await admin.page.goto(`${BASE_URL}/servers`);
      const badge = admin.page.locator(`[data-testid="server-row"][data-server-id="${lockedServer}"] [data-testid="lock-badge"]`);
      await badge.waitFor({ timeout: 10_000 });
      assert.equal((await badge.textContent())?.trim(), 'Maintenance');
      const label = (await badge.getAttribute('aria-label')) ?? '';
      assert.ok(label.includes(`Maintenance lock by ${EMAIL}: ${reason} (until `), label);
      assert.equal(await admin.page.getByTestId('lock-badge').count(), 1, 'only the locked server has a badge');
      await badge.hover();
      await admin.page.getByRole('tooltip').getByText(reason, { exact: false }).waitFor();
      await assertNoAxeViolations(admin.page, 'servers with a lock badge (light)');

      // As the operator (dark theme): the run form warns about that target; run with "skip".
      op = await openPage(browser, { colorScheme: 'dark' });
      await signInToServers(op.page, operator);
      await op.page.goto(`${BASE_URL}/run?mode=adhoc&server=${encodeURIComponent(lockedServer)}`);
      await op.page.getByLabel('Shell command').fill('echo should-not-run');
      const warning = op.page.getByTestId('lock-warning');
      await warning.waitFor({ timeout: 10_000 });
      const warned = (await warning.textContent()) ?? '';
      for (const part of [lockedServer, EMAIL, reason, 'will wait until the lock ends']) assert.ok(warned.includes(part), `warning lacks "${part}": ${warned}`);
      await op.page.getByRole('radio', { name: 'Skip it' }).check();
      await warning.getByText('will be skipped with the lock as the reason', { exact: false }).waitFor();
      await op.page.getByTestId('command-preview').getByText('echo should-not-run', { exact: true }).first().waitFor({ timeout: 10_000 });
      await assertNoAxeViolations(op.page, 'run form with a lock warning (dark)');
      await op.page.getByRole('button', { name: 'Review and run' }).click();
      const confirm = op.page.getByRole('dialog');
      await confirm.getByTestId('confirm-locks').getByText('Servers locked by someone else are skipped.', { exact: false }).waitFor();
      await confirm.getByTestId('confirm-lock-warning').getByText(reason, { exact: false }).waitFor();
      await assertNoAxeViolations(op.page, 'run confirmation with a lock warning (dark)');
      await confirm.getByRole('button', { name: 'Run on 1 server' }).click();
      await op.page.waitForURL(/\/executions\/[^/]+$/, { timeout: 10_000 });

      // The monitor: the job is skipped and its tile says why.
      const cell = op.page.locator(`[data-testid="job-cell"][data-server-id="${lockedServer}"]`);
      await cell.and(op.page.locator('[data-state="SKIPPED"]')).waitFor({ timeout: 30_000 });
      await cell.getByTestId('job-note').waitFor({ timeout: 10_000 });
      const note = (await cell.getByTestId('job-note').textContent()) ?? '';
      assert.ok(note.includes('locked by') && note.includes(reason), `tile reason: ${note}`);
      // The finish toast slides in: scan once it has settled.
      const runId = decodeURIComponent(new URL(op.page.url()).pathname.split('/').pop() ?? '');
      await op.page.getByText(new RegExp(`^Execution ${runId} `)).first().waitFor({ timeout: 15_000 });
      await op.page.waitForTimeout(800);
      await assertNoAxeViolations(op.page, 'monitor with a skipped tile (dark)');

      // History at 1280 px: every state badge is whole (not "COMPLE…").
      await op.page.goto(`${BASE_URL}/executions`);
      await op.page.getByTestId('execution-row').first().waitFor();
      const clipped = await op.page.$$eval('[data-testid="execution-row"] [data-testid="execution-state"]', (badges) =>
        badges.filter((b) => [b, ...b.querySelectorAll('*')].some((el) => el.scrollWidth > el.clientWidth + 1)).map((b) => b.textContent),
      );
      assert.deepEqual(clipped, [], 'state badges cut short');

      // A template run on a free server: the monitor names the template (not its id) and the
      // parameters it ran with.
      await op.page.goto(`${BASE_URL}/servers`);
      await op.page.getByTestId('server-row').first().waitFor();
      const free = (await visibleServerIds(op.page)).find((id) => id !== lockedServer);
      assert.ok(free, 'a server without the lock');
      await op.page.goto(`${BASE_URL}/run?server=${encodeURIComponent(free)}`);
      const template = op.page.getByRole('combobox', { name: 'Template' });
      await template.locator('option', { hasText: /^Disk space \(/ }).waitFor({ state: 'attached' });
      await template.selectOption((await template.locator('option', { hasText: /^Disk space \(/ }).getAttribute('value')) ?? '');
      await op.page.getByRole('textbox', { name: /^mount/ }).fill('/');
      await op.page.getByTestId('command-preview').getByText('df -P', { exact: false }).first().waitFor({ timeout: 10_000 });
      await op.page.getByRole('button', { name: 'Review and run' }).click();
      await op.page.getByRole('dialog').getByRole('button', { name: 'Run on 1 server' }).click();
      await op.page
        .waitForURL(/\/executions\/[^/]+$/, { timeout: 10_000 })
        .catch(async (error) => assert.fail(`not started: ${await op.page.getByRole('dialog').textContent()} (${error.message.split('\n')[0]})`));
      await op.page.getByTestId('execution-action').getByText('Disk space', { exact: true }).waitFor({ timeout: 10_000 });
      assert.match((await op.page.getByTestId('execution-parameters').textContent()) ?? '', /mount=\//);
      assert.deepEqual(op.pageErrors, []);
      assert.deepEqual(admin.pageErrors, []);
    } finally {
      // Release the lock whatever happened, so later tests see a free fleet.
      if (lockedServer) {
        await admin.page.goto(`${BASE_URL}/locks`);
        await admin.page.getByRole('button', { name: `Release the lock on ${lockedServer}` }).click();
        await admin.page.getByRole('cell', { name: reason, exact: true }).waitFor({ state: 'detached', timeout: 10_000 });
        await admin.page.goto(`${BASE_URL}/servers`);
        await admin.page.getByTestId('server-row').first().waitFor();
        assert.equal(await admin.page.getByTestId('lock-badge').count(), 0, 'no badge once released');
      }
      await op?.context.close();
      await admin.context.close();
    }
  });

  test('as admin sends notifications to a webhook: a test is delivered; bad rules are refused clearly', async () => {
    const receiver = await startWebhookReceiver();
    const { context, page, pageErrors } = await openPage(browser);
    try {
      await signInToServers(page);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications' }).click();
      await page.waitForURL(/\/notifications$/);
      await page.getByRole('heading', { name: 'Delivery history' }).waitFor();

      // A URL the hub cannot parse: its INVALID_INPUT message shows at the URL field.
      await page.getByRole('button', { name: 'New rule' }).click();
      let dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name').fill('E2E broken');
      await dialog.getByLabel('URL').fill('not a url');
      await dialog.getByRole('button', { name: 'Create rule' }).click();
      await dialog.getByRole('alert').getByText('channel.url: not a URL', { exact: false }).waitFor({ timeout: 10_000 });
      assert.equal(await dialog.getByLabel('URL').getAttribute('aria-invalid'), 'true');
      await assertNoAxeViolations(page, 'notification rule dialog with the hub\'s refusal');
      // Email needs the hub's mail relay, which the demo has not: said so at the channel.
      await dialog.getByLabel('Channel').selectOption('EMAIL');
      await dialog.getByLabel('Recipients').fill('ops@example.com');
      await dialog.getByRole('button', { name: 'Create rule' }).click();
      await dialog.getByRole('alert').getByText('notifications.smtp', { exact: false }).waitFor({ timeout: 10_000 });
      assert.equal(await dialog.getByLabel('Channel').getAttribute('aria-invalid'), 'true');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });

      // A webhook to the local receiver, with a signing secret that is never shown again.
      const name = `E2E hook ${Date.now()}`;
      await page.getByRole('button', { name: 'New rule' }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name').fill(name);
      await dialog.getByLabel('URL').fill(receiver.url);
      await dialog.getByLabel('Secret (optional)').fill('e2e-signing-secret-0123');
      await dialog.getByRole('button', { name: 'Create rule' }).click();
      await dialog.waitFor({ state: 'detached', timeout: 10_000 });
      const row = page.locator(`[data-testid="rule-row"][data-rule-name="${name}"]`);
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /signed \(a secret is set\)/);
      assert.doesNotMatch((await row.textContent()) ?? '', /e2e-secret-part|e2e-signing-secret/, 'neither the URL token nor the secret is shown');
      const ruleId = await row.getAttribute('data-rule-id');

      await page.getByRole('button', { name: `Send a test through ${name}` }).click();
      await page.getByText(/Test event #\d+ sent through/).waitFor({ timeout: 10_000 });
      await page.locator(`[data-testid="delivery-row"][data-rule-id="${ruleId}"][data-status="DELIVERED"]`).waitFor({ timeout: 20_000 });
      const received = receiver.requests.filter((r) => r.headers['x-greenroom-event'] === 'test');
      assert.equal(received.length, 1, 'the receiver got the test once');
      assert.equal(received[0].method, 'POST');
      assert.equal(received[0].url, '/e2e-hook?token=e2e-secret-part');
      assert.match(String(received[0].headers['x-greenroom-signature']), /^sha256=[0-9a-f]{64}$/);
      assert.doesNotThrow(() => JSON.parse(received[0].body));
      // Nothing pending any more: the page stops asking.
      await page.waitForFunction(() => document.querySelector('[data-testid="delivery-polling"]')?.textContent === '', undefined, { timeout: 10_000 });
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
      await receiver.close();
    }
  });

  test('is an installable PWA whose shell opens offline and says so', async () => {
    const { context, page, pageErrors } = await openPage(browser);
    try {
      await signInToServers(page);
      const manifest = await page.evaluate(async () => {
        const href = document.querySelector('link[rel="manifest"]')?.getAttribute('href');
        return href ? (await fetch(href)).json() : null;
      });
      assert.equal(manifest?.name, 'Greenroom');
      assert.ok(manifest.icons.some((i) => i.sizes === '512x512'));
      // The service worker takes control of the page once it is ready.
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
      await page.reload();
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
      await page.getByTestId('server-count').waitFor();

      await context.setOffline(true);
      await page.reload();
      await page.getByTestId('offline-banner').waitFor({ timeout: 10_000 });
      assert.match((await page.getByTestId('offline-banner').textContent()) ?? '', /You are offline/);
      await context.setOffline(false);
      await page.getByTestId('offline-banner').waitFor({ state: 'detached', timeout: 10_000 });
      assert.deepEqual(pageErrors, []);
    } finally {
      await context.close();
    }
  });

  test('every view passes axe-core (WCAG 2.1 AA) in light and dark; screenshots saved', async () => {
    // Both themes at once: each scan waits mostly on the page, not on this process.
    await Promise.all((/** @type {const} */ (['light', 'dark'])).map(async (colorScheme) => {
      const { context, page } = await openPage(browser, { colorScheme });
      try {
        await page.goto(`${BASE_URL}/login`);
        await page.getByRole('button', { name: 'Sign in' }).waitFor();
        await assertNoAxeViolations(page, `login (${colorScheme})`);
        await page.screenshot({ path: `${SCREENSHOTS}login-${colorScheme}.png` });
        await signInToServers(page);
        const [first] = await visibleServerIds(page);

        const views = [
          { name: 'servers', path: '/servers', ready: () => page.getByTestId('server-row').first().waitFor() },
          { name: 'server', path: `/servers/${encodeURIComponent(first)}`, ready: () => page.getByRole('heading', { name: 'Facts' }).waitFor() },
          { name: 'run', path: `/run?mode=adhoc&server=${encodeURIComponent(first)}`, ready: async () => {
            await page.getByLabel('Shell command').fill('uptime');
            await page.getByTestId('command-preview').getByText('uptime').first().waitFor({ timeout: 10_000 });
          } },
          { name: 'monitor', path: `/executions/${encodeURIComponent(executionId)}`, ready: () => page.getByTestId('log-line').first().waitFor({ timeout: 15_000 }) },
          { name: 'executions', path: '/executions', ready: () => page.getByTestId('execution-row').first().waitFor() },
          { name: 'templates', path: '/templates', ready: () => page.getByTestId('template-row').first().waitFor() },
          { name: 'template', path: null, ready: async () => {
            await page.goto(`${BASE_URL}/templates`);
            await page.getByTestId('template-row').first().getByRole('link').first().click();
            await page.getByRole('heading', { name: 'Parameters' }).waitFor();
          } },
          { name: 'template-new', path: '/templates/new', ready: () => page.getByRole('group', { name: 'General' }).getByLabel('Name').waitFor() },
          { name: 'schedules', path: '/schedules', ready: () => page.getByRole('button', { name: 'New schedule' }).waitFor() },
          { name: 'locks', path: '/locks', ready: () => page.getByRole('heading', { name: 'Locks' }).waitFor() },
          { name: 'audit', path: '/audit', ready: async () => {
            await page.getByTestId('audit-row').first().waitFor();
            await page.getByRole('button', { name: 'Verify chain' }).click();
            await page.getByTestId('audit-verification').getByText('The chain is intact', { exact: false }).waitFor();
          } },
          { name: 'users', path: '/users', ready: () => page.getByTestId('user-row').first().waitFor() },
          { name: 'notifications', path: '/notifications', ready: async () => {
            await page.getByTestId('rule-row').first().waitFor();
            await page.getByTestId('delivery-row').first().waitFor();
          } },
          { name: 'agents', path: '/agents', ready: async () => {
            await page.getByTestId('agent-row').first().waitFor();
            await page.getByRole('button', { name: 'Create enrollment token' }).click();
            await page.getByTestId('enrollment-token').waitFor();
          } },
        ];
        for (const view of views) {
          if (view.path) await page.goto(`${BASE_URL}${view.path}`);
          await view.ready();
          await page.waitForTimeout(150);
          await assertNoAxeViolations(page, `${view.name} (${colorScheme})`);
          if (['servers', 'server', 'run', 'monitor', 'executions', 'templates', 'audit', 'notifications'].includes(view.name)) {
            await page.screenshot({ path: `${SCREENSHOTS}${view.name}-${colorScheme}.png` });
          }
        }
        // The confirmation dialog and the shortcuts overlay are views too.
        await page.keyboard.press('?');
        await page.getByTestId('shortcuts-help').waitFor();
        // Let the dialog's fade-in finish: half-faded text reads as low contrast.
        await page.waitForTimeout(400);
        await assertNoAxeViolations(page, `shortcuts help (${colorScheme})`);
      } finally {
        await context.close();
      }
    }));
  });
});
