// Browser test of the built dashboard against a running hub (Debian's Chromium driven by
// playwright-core): sign in and see exactly GREENROOM_EXPECT_SERVERS live rows, a wrong password
// shows the error alert; the session survives a reload and reaches a second tab (the shared
// rotating refresh token), signing out in one tab signs out both, and a link opened while signed
// out opens after sign-in. dashboard.e2e.mjs covers the views, shortcuts, exports and axe-core.
//
//   GREENROOM_URL              hub base URL, e.g. http://127.0.0.1:8000 (required)
//   GREENROOM_ADMIN_EMAIL      default admin@example.com
//   GREENROOM_ADMIN_PASSWORD   (required)
//   GREENROOM_EXPECT_SERVERS   default 3
//   GREENROOM_CHROMIUM         default /usr/bin/chromium
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { ARTIFACTS, BASE_URL, EMAIL, EXPECTED, PASSWORD, openPage as open, signIn, useBrowser, SUITE_TIMEOUT_MS } from './helpers.mjs';

const ROWS_TIMEOUT_MS = 20_000;

describe('Greenroom dashboard', { timeout: SUITE_TIMEOUT_MS }, () => {
  const browser = useBrowser();

  const openPage = (options = {}) => open(browser(), options);

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

  test('signs in and lists the expected servers, live', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await rm(`${ARTIFACTS}servers.png`, { force: true });
    const { context, page, pageErrors } = await openPage();
    try {
      await signIn(page, PASSWORD);
      await page.waitForURL(/\/overview$/, { timeout: 10_000 });
      await page.goto(`${BASE_URL}/servers`);
      await waitForServers(page, EXPECTED);

      // The header shows who is signed in (GraphQL `me`).
      const user = page.getByTestId('user-email');
      await user.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match((await user.textContent()) ?? '', new RegExp(EMAIL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'));

      // The access token is kept in this tab's sessionStorage; the refresh token is shared.
      const stored = await page.evaluate(() => sessionStorage.getItem('greenroom.session'));
      assert.ok(stored && JSON.parse(stored).accessToken, 'the access token is in sessionStorage');
      assert.equal(JSON.parse(stored).refreshToken, undefined, 'no refresh token in sessionStorage');
      const shared = await page.evaluate(() => localStorage.getItem('greenroom.refresh'));
      assert.ok(shared && JSON.parse(shared).refreshToken, 'the refresh token is shared in localStorage');

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

  test('a reload keeps you signed in, a second tab is signed in, signing out signs out both', async () => {
    const { context, page, pageErrors } = await openPage();
    try {
      await signIn(page, PASSWORD);
      await page.waitForURL(/\/overview$/, { timeout: 10_000 });
      await page.goto(`${BASE_URL}/servers`);
      await waitForServers(page, EXPECTED);

      await page.reload();
      await waitForServers(page, EXPECTED);
      assert.match(page.url(), /\/servers/, 'still signed in after a reload');

      // A new tab (same browser profile) opens a page directly, signed in, by spending the
      // shared refresh token; the first tab keeps working.
      const second = await context.newPage();
      await second.goto(`${BASE_URL}/executions`);
      await second.getByRole('heading', { level: 1, name: /Executions|History/ }).waitFor({ state: 'visible', timeout: 15_000 });
      assert.match(second.url(), /\/executions$/, 'the second tab is signed in, not on /login');
      // Both tabs reload at once: they refresh one at a time and neither replays a token (the hub
      // would end the session), so both stay signed in.
      await second.evaluate(() => sessionStorage.clear());
      await page.evaluate(() => sessionStorage.clear());
      await Promise.all([page.reload(), second.reload()]);
      await waitForServers(page, EXPECTED);
      await second.getByRole('heading', { level: 1, name: /Executions|History/ }).waitFor({ state: 'visible', timeout: 15_000 });
      const third = await context.newPage();
      await third.goto(`${BASE_URL}/servers`);
      await waitForServers(third, EXPECTED);
      await third.close();

      // Signing out in the first tab signs the second out too, and the hub's session is over.
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/login$/, { timeout: 10_000 });
      await second.waitForURL(/\/login$/, { timeout: 10_000 });
      assert.equal(await page.evaluate(() => localStorage.getItem('greenroom.refresh')), null);
      await page.reload();
      await page.waitForURL(/\/login$/, { timeout: 10_000 });
      assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
    } finally {
      await context.close();
    }
  });

  test('a link opened while signed out opens after sign-in', async () => {
    const { context, page, pageErrors } = await openPage();
    try {
      await page.goto(`${BASE_URL}/audit?event=user_login`);
      await page.waitForURL(/\/login$/, { timeout: 10_000 });
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password', { exact: false }).first().fill(PASSWORD ?? '');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/audit\?event=user_login$/, { timeout: 10_000 });
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor({ state: 'visible', timeout: 10_000 });
      assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
    } finally {
      await context.close();
    }
  });
});
