// Browser tests of issue #16's metrics history and overview against a running hub with real
// agents (Debian's Chromium driven by playwright-core): a server's charts (CPU, memory, disk,
// load over 1 h / 24 h / 7 d) drawn from the heartbeats the hub kept, with their summaries and
// table alternative; the servers list colouring usage by the 80 % / 90 % thresholds; the
// Overview landing page (fleet health by environment and state linking to the filtered list,
// running executions, success rate, servers needing attention, active locks). axe-core in light
// and dark on each; screenshots of the overview and the charts to docs/screenshots/.
//
//   GREENROOM_URL, GREENROOM_ADMIN_EMAIL, GREENROOM_ADMIN_PASSWORD, GREENROOM_EXPECT_SERVERS,
//   GREENROOM_CHROMIUM — as for login.e2e.mjs.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { apiToken, assertNoAxeViolations, BASE_URL, checkEnvironment, EMAIL, EXPECTED, graphql, launch, openPage, SCREENSHOTS, signIn, signInToServers, visibleServerIds, SUITE_TIMEOUT_MS } from './helpers.mjs';

const SCHEMES = /** @type {const} */ (['light', 'dark']);

/** A screenshot of one element in the full page (the sticky header never covers it). */
async function shoot(page, locator, path) {
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  const scrollY = await page.evaluate(() => window.scrollY);
  assert.ok(box, 'nothing to photograph');
  await page.screenshot({ path, fullPage: true, clip: { x: box.x, y: box.y + scrollY, width: box.width, height: box.height } });
}

/** The level the thresholds give a shown percentage ("85.2%"). */
function expectedLevel(text) {
  const value = Number.parseFloat(text);
  if (!Number.isFinite(value)) return 'normal';
  return value >= 90 ? 'critical' : value >= 80 ? 'warning' : 'normal';
}

describe('Greenroom metrics history and overview', { timeout: SUITE_TIMEOUT_MS }, () => {
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;

  before(async () => {
    checkEnvironment();
    browser = await launch();
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
  });

  test("a server's charts show the hub's metrics history over 1 h and 24 h, with a summary and a table", async () => {
    await Promise.all(SCHEMES.map(async (colorScheme) => {
      const { context, page, pageErrors } = await openPage(browser, { colorScheme });
      try {
        await signInToServers(page);
        const [first] = await visibleServerIds(page);
        await page.goto(`${BASE_URL}/servers/${encodeURIComponent(first)}`);
        const card = page.getByTestId('metrics-history');
        await card.getByRole('heading', { name: 'Metrics history' }).waitFor();
        const cpu = card.getByRole('region', { name: 'CPU' });
        // The demo's agents heartbeat every few seconds: within a minute or two the hour has points
        // (the page asks again every 30 s; reload only if the hub had none yet).
        const deadline = Date.now() + 150_000;
        while (Number((await cpu.getAttribute('data-points').catch(() => '0')) ?? '0') < 1) {
          assert.ok(Date.now() < deadline, 'the CPU chart never got a point from the hub');
          await page.waitForTimeout(2_000);
        }
        const summary = (await cpu.getByTestId('metric-summary').textContent()) ?? '';
        assert.match(summary, /^Mean \d+(\.\d)?%, peak \d+(\.\d)?% \(.+\), latest \d+(\.\d)?%\. Data for \d+ of 60 minutes\.$/);
        // The picture: a mean and a (dashed) peak line, the 80 % and 90 % reference lines, time ticks.
        const chart = cpu.getByRole('img', { name: /^CPU over the last hour/ });
        await chart.locator('.recharts-line').first().waitFor();
        assert.equal(await chart.locator('.recharts-line').count(), 2);
        assert.equal(await chart.locator('.recharts-reference-line').count(), 2);
        // Axis labels are SVG text (recharts draws them in its own layer): times of day on x.
        const texts = await chart.locator('svg text').allTextContents();
        assert.ok(texts.filter((t) => /\d{1,2}:\d{2}/.test(t)).length >= 2, `time ticks: ${JSON.stringify(texts)}`);
        for (const name of ['Memory', 'Disk', 'Load (1 minute)']) {
          assert.match((await card.getByRole('region', { name }).getByTestId('metric-summary').textContent()) ?? '', /^Mean .+Data for \d+ of 60 minutes\.$/);
        }
        await shoot(page, card, `${SCREENSHOTS}server-charts-${colorScheme}.png`);
        // The table alternative lists the points.
        await cpu.getByRole('button', { name: 'Show CPU table' }).click();
        const table = cpu.getByRole('table', { name: 'CPU over the last hour, per step' });
        assert.ok((await table.getByRole('row').count()) >= 2);
        await assertNoAxeViolations(page, `server charts (${colorScheme})`);

        // 24 hours: 5-minute steps.
        await card.getByText('24 h', { exact: true }).click();
        await cpu.getByText(/Data for \d+ of 288 5-minute steps\.$/).waitFor({ timeout: 10_000 });
        await cpu.getByRole('img', { name: /^CPU over the last 24 hours/ }).waitFor();
        await assertNoAxeViolations(page, `server charts, 24 h (${colorScheme})`);
        assert.deepEqual(pageErrors, []);
      } finally {
        await context.close();
      }
    }));
  });

  test('the servers list colours CPU, memory and disk from 80 % (amber) and 90 % (red)', async () => {
    await Promise.all(SCHEMES.map(async (colorScheme) => {
      const { context, page, pageErrors } = await openPage(browser, { colorScheme });
      try {
        await signInToServers(page);
        const rows = page.getByTestId('server-row');
        assert.equal(await rows.count(), EXPECTED);
        const cells = await page.$$eval('[data-testid="server-row"] [data-usage-level]', (nodes) =>
          nodes.map((n) => ({ level: n.getAttribute('data-usage-level'), text: n.textContent ?? '', title: n.getAttribute('title') })),
        );
        assert.equal(cells.length, EXPECTED * 3, 'a CPU, memory and disk value per row');
        for (const cell of cells) {
          assert.equal(cell.level, expectedLevel(cell.text), `level of ${JSON.stringify(cell)}`);
          if (cell.level === 'warning') assert.match(cell.text, /, high \(80 % or more\)$/);
          if (cell.level === 'critical') assert.match(cell.text, /, critical \(90 % or more\)$/);
        }
        await assertNoAxeViolations(page, `servers with thresholds (${colorScheme})`);
        assert.deepEqual(pageErrors, []);
      } finally {
        await context.close();
      }
    }));
  });
  test('sign-in lands on the Overview: fleet health links to the filtered list, running work, success rate, attention, locks', async () => {
    const token = await apiToken();
    const { servers } = await graphql(token, '{ servers(first: 500) { nodes { serverId environment status { current diskUsagePercent } credentials { certificateNotAfter revoked } } } }');
    const dev = servers.nodes.find((s) => s.environment === 'dev');
    assert.ok(dev, 'the demo has a dev server');
    // Something running and a lock, so those sections have rows.
    const started = await graphql(token, 'mutation($input: StartExecutionInput!) { startExecution(input: $input) { execution { executionId } userErrors { field code message } } }', {
      input: { action: { shellCommand: { command: 'sleep 300' } }, targetServers: [dev.serverId] },
    });
    const executionId = started.startExecution.execution.executionId;
    // The server reads BUSY from its next heartbeat until the run is cancelled at the end, so
    // the state the overview links to does not change under the test.
    for (let i = 0; ; i++) {
      const { server } = await graphql(token, 'query($id: String!) { server(serverId: $id) { status { current } } }', { id: dev.serverId });
      if (server.status.current === 'BUSY') break;
      assert.ok(i < 150, `${dev.serverId} never read BUSY`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const locked = await graphql(token, 'mutation($input: AcquireLockInput!) { acquireLock(input: $input) { lock { lockId } userErrors { field code message } } }', {
      input: { serverId: dev.serverId, reason: 'overview e2e', lockType: 'MAINTENANCE', ttlMinutes: 10 },
    });
    try {
      await Promise.all(SCHEMES.map(async (colorScheme) => {
        const { context, page, pageErrors } = await openPage(browser, { colorScheme });
        try {
          await signIn(page);
          await page.waitForURL(/\/overview$/, { timeout: 10_000 });
          const nav = page.getByRole('navigation', { name: 'Main' });
          assert.match((await nav.getByRole('link').first().textContent()) ?? '', /^Overview/);

          const fleet = page.getByTestId('overview-fleet');
          await fleet.getByRole('link', { name: `All ${EXPECTED} servers in all environments` }).waitFor({ timeout: 15_000 });

          // Running now: the sleep, with progress, linking to its monitor (asked again every 10 s).
          const run = page.locator(`[data-testid="running-execution"][data-execution-id="${executionId}"]`);
          await run.waitFor({ timeout: 25_000 });
          assert.equal(await run.getByRole('link').getAttribute('href'), `/executions/${encodeURIComponent(executionId)}`);
          // A 0 % bar has no width: check it is there and says its value.
          const bar = run.getByRole('progressbar', { name: `Progress of ${executionId}` });
          await bar.waitFor({ state: 'attached' });
          assert.match((await bar.getAttribute('aria-valuenow')) ?? '', /^\d+(\.\d+)?$/);

          // Active locks: the one just taken, with its type and owner.
          const lockRow = page.locator(`[data-testid="overview-lock-row"][data-server-id="${dev.serverId}"]`);
          await lockRow.waitFor({ timeout: 25_000 });
          const lockText = (await lockRow.textContent()) ?? '';
          assert.ok(lockText.includes('Maintenance') && lockText.includes(EMAIL), `lock row: ${lockText}`);

          // Needs attention: exactly the servers the hub's data says (unreachable, disk ≥ 90 %, certificate < 14 days).
          const soon = Date.now() + 14 * 86_400_000;
          const expected = servers.nodes
            .filter((s) => s.status.current === 'UNREACHABLE' || s.status.diskUsagePercent >= 90 || (!s.credentials.revoked && s.credentials.certificateNotAfter && Date.parse(s.credentials.certificateNotAfter) < soon))
            .map((s) => s.serverId)
            .sort();
          const attention = page.getByTestId('overview-attention');
          if (expected.length === 0) await attention.getByText(/^All clear/).waitFor();
          else assert.deepEqual((await attention.getByTestId('attention-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-server-id')))).sort(), expected);

          // Success rate: says how many executions it is computed from; 7 days, then 24 hours.
          const rate = page.getByTestId('overview-success-rate');
          await rate.getByTestId('success-rate-basis').getByText(/^Computed from \d+ finished executions? in the last 7 days/).waitFor({ timeout: 15_000 });
          await assertNoAxeViolations(page, `overview (${colorScheme})`);
          await page.screenshot({ path: `${SCREENSHOTS}overview-${colorScheme}.png` });
          await rate.getByText('Last 24 hours, by hour', { exact: true }).click();
          await rate.getByTestId('success-rate-basis').getByText(/in the last 24 hours/).waitFor();

          // A count opens the servers list filtered to that environment and state.
          const devRow = fleet.locator('[data-testid="fleet-row"][data-environment="dev"]');
          await devRow.getByRole('link', { name: /^1 server busy in dev$/ }).click();
          await page.waitForURL(/\/servers\?environment=dev&status=BUSY$/);
          await page.waitForFunction(() => document.querySelectorAll('[data-testid="server-row"]').length === 1);
          assert.deepEqual(await visibleServerIds(page), [dev.serverId]);

          // g o comes back.
          await page.locator('body').press('g');
          await page.locator('body').press('o');
          await page.waitForURL(/\/overview$/);
          assert.deepEqual(pageErrors, []);
        } finally {
          await context.close();
        }
      }));
    } finally {
      await graphql(token, 'mutation($id: String!) { releaseLock(lockId: $id) { lock { lockId } userErrors { message } } }', { id: locked.acquireLock.lock.lockId }).catch(() => {});
      await graphql(token, 'mutation($id: String!) { cancelExecution(executionId: $id) { execution { executionId } userErrors { message } } }', { id: executionId }).catch(() => {});
    }
  });
});
