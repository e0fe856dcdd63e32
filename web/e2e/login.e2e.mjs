// Browser test of the built dashboard against a running hub (Debian's Chromium driven by
// playwright-core): sign in and see exactly GREENROOM_EXPECT_SERVERS live rows, a wrong password
// shows the error alert, and the pages have no WCAG 2.1 AA violations found by axe-core.
//
//   GREENROOM_URL              hub base URL, e.g. http://127.0.0.1:8000 (required)
//   GREENROOM_ADMIN_EMAIL      default admin@example.com
//   GREENROOM_ADMIN_PASSWORD   (required)
//   GREENROOM_EXPECT_SERVERS   default 3
//   GREENROOM_CHROMIUM         default /usr/bin/chromium
import AxeBuilder from '@axe-core/playwright';
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.GREENROOM_URL?.replace(/\/+$/, '');
const EMAIL = process.env.GREENROOM_ADMIN_EMAIL || 'admin@example.com';
const PASSWORD = process.env.GREENROOM_ADMIN_PASSWORD;
const EXPECTED = Number(process.env.GREENROOM_EXPECT_SERVERS ?? '3');
const CHROMIUM = process.env.GREENROOM_CHROMIUM || '/usr/bin/chromium';
const ROWS_TIMEOUT_MS = 20_000;
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

describe('Greenroom dashboard', { timeout: 120_000 }, () => {
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;

  before(async () => {
    assert.ok(
      BASE_URL,
      'GREENROOM_URL is not set: point it at a running hub, e.g. GREENROOM_URL=http://127.0.0.1:8000 npm run e2e',
    );
    assert.ok(PASSWORD, 'GREENROOM_ADMIN_PASSWORD is not set: the e2e test signs in as the admin user');
    assert.ok(Number.isInteger(EXPECTED) && EXPECTED >= 0, `GREENROOM_EXPECT_SERVERS must be a whole number, got "${process.env.GREENROOM_EXPECT_SERVERS}"`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });

  after(async () => {
    await browser?.close();
  });

  /** A fresh context (own sessionStorage) and page that records uncaught page errors. */
  async function openPage(options = {}) {
    assert.ok(browser, 'browser did not start');
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...options });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') console.log(`[browser console] ${message.text()}`);
    });
    return { context, page, pageErrors };
  }

  async function signIn(page, password) {
    await page.goto(`${BASE_URL}/`);
    await page.waitForURL(/\/login$/, { timeout: 10_000 });
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password', { exact: false }).first().fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Waits until exactly `expected` rows are visible and the header agrees; explains a timeout. */
  async function waitForServers(page, expected) {
    const label = `${expected} ${expected === 1 ? 'server' : 'servers'}`;
    try {
      await page.waitForFunction(
        ({ expected: n, label: text }) => {
          const rows = [...document.querySelectorAll('[data-testid="server-row"]')].filter((row) =>
            row.checkVisibility(),
          );
          const count = document.querySelector('[data-testid="server-count"]')?.textContent?.trim();
          return rows.length === n && count === text;
        },
        { expected, label },
        { timeout: ROWS_TIMEOUT_MS, polling: 250 },
      );
    } catch (error) {
      const seen = await page.evaluate(() => ({
        url: location.href,
        rows: document.querySelectorAll('[data-testid="server-row"]').length,
        header: document.querySelector('[data-testid="server-count"]')?.textContent ?? null,
        alerts: [...document.querySelectorAll('[role="alert"]')].map((a) => a.textContent),
      }));
      await page.screenshot({ path: `${ARTIFACTS}servers-failure.png`, fullPage: true }).catch(() => {});
      assert.fail(
        `expected ${expected} visible server rows and the header "${label}" within ${ROWS_TIMEOUT_MS / 1000} s; ` +
          `saw ${JSON.stringify(seen)} (${error instanceof Error ? error.message.split('\n')[0] : error})`,
      );
    }
  }

  async function assertNoAxeViolations(page, where) {
    const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
    const summary = results.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
    assert.deepEqual(summary, [], `axe-core found WCAG 2.1 AA violations on ${where}`);
  }

  test('signs in and lists the expected servers, live', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await rm(`${ARTIFACTS}servers.png`, { force: true });
    const { context, page, pageErrors } = await openPage();
    try {
      await signIn(page, PASSWORD);
      await page.waitForURL(/\/servers/, { timeout: 10_000 });
      await waitForServers(page, EXPECTED);

      // The header shows who is signed in (GraphQL `me`).
      const user = page.getByTestId('user-email');
      await user.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match((await user.textContent()) ?? '', new RegExp(EMAIL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'));

      // Tokens are kept in this tab's sessionStorage only.
      const stored = await page.evaluate(() => sessionStorage.getItem('greenroom.session'));
      assert.ok(stored && JSON.parse(stored).accessToken, 'the access token is in sessionStorage');

      await page.screenshot({ path: `${ARTIFACTS}servers.png`, fullPage: true });
      assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
    } finally {
      await context.close();
    }
  });

  test('a wrong password shows the error alert', async () => {
    const { context, page, pageErrors } = await openPage();
    try {
      await signIn(page, `${PASSWORD}-wrong`);
      const alert = page.getByRole('alert');
      await alert.waitFor({ state: 'visible', timeout: 10_000 });
      const text = ((await alert.textContent()) ?? '').trim();
      assert.match(text, /^Sign-in failed.+/, `the alert explains the failure, got "${text}"`);
      assert.match(page.url(), /\/login$/);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('greenroom.session')), null);
      assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
    } finally {
      await context.close();
    }
  });

  test('login and servers pages pass axe-core (WCAG 2.1 AA) in light and dark themes', async () => {
    for (const colorScheme of /** @type {const} */ (['light', 'dark'])) {
      const { context, page } = await openPage({ colorScheme });
      try {
        await page.goto(`${BASE_URL}/`);
        await page.getByRole('button', { name: 'Sign in' }).waitFor();
        await assertNoAxeViolations(page, `the login page (${colorScheme})`);

        await page.getByLabel('Email').fill(EMAIL);
        await page.getByLabel('Password', { exact: false }).first().fill(PASSWORD ?? '');
        await page.getByRole('button', { name: 'Sign in' }).click();
        // Any loaded list will do here; the exact count is the first test's business.
        await page.getByTestId('server-count').waitFor({ state: 'visible', timeout: ROWS_TIMEOUT_MS });
        await assertNoAxeViolations(page, `the servers page (${colorScheme})`);
      } finally {
        await context.close();
      }
    }
  });
});
