// Shared pieces of the browser tests: configuration from the environment, launching Debian's
// Chromium through playwright-core, signing in, the axe-core WCAG 2.1 AA check, and a local
// HTTP receiver for webhook notifications.
import AxeBuilder from '@axe-core/playwright';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/**
 * Each suite's `timeout`: it only stops a hang. It bounds the whole suite, whose run time grows
 * with its tests and with the machine's load (the dashboard's took 173 s of a 240 s bound on a
 * quiet machine, 241 s beside a build). Each step waits with its own bound.
 */
export const SUITE_TIMEOUT_MS = 600_000;
export const BASE_URL = process.env.GREENROOM_URL?.replace(/\/+$/, '');
export const EMAIL = process.env.GREENROOM_ADMIN_EMAIL || 'admin@example.com';
export const PASSWORD = process.env.GREENROOM_ADMIN_PASSWORD;
export const EXPECTED = Number(process.env.GREENROOM_EXPECT_SERVERS ?? '3');
const CHROMIUM = process.env.GREENROOM_CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
export const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

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

export function checkEnvironment() {
  assert.ok(BASE_URL, 'GREENROOM_URL is not set: point it at a running hub, e.g. GREENROOM_URL=http://127.0.0.1:8000 npm run e2e');
  assert.ok(PASSWORD, 'GREENROOM_ADMIN_PASSWORD is not set: the e2e test signs in as the admin user');
  assert.ok(Number.isInteger(EXPECTED) && EXPECTED >= 0, `GREENROOM_EXPECT_SERVERS must be a whole number, got "${process.env.GREENROOM_EXPECT_SERVERS}"`);
}

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A fresh context (own storage) and page that records uncaught page errors. */
/** Launches Chromium before a suite's tests (after checking the environment) and closes it
 * after them; call the returned function for the browser. */
export function useBrowser() {
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  before(async () => {
    checkEnvironment();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });
  return () => browser;
}

export async function openPage(browser, options = {}) {
  assert.ok(browser, 'browser did not start');
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, ...options });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') console.log(`[browser console] ${message.text()}`);
  });
  return { context, page, pageErrors };
}

export async function signIn(page, password = PASSWORD, email = EMAIL) {
  await page.goto(`${BASE_URL}/`);
  await page.waitForURL(/\/login$/, { timeout: 10_000 });
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: false }).first().fill(password ?? '');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in (as the admin unless told), lands on the overview, then opens the servers list. */
export async function signInToServers(page, { email = EMAIL, password = PASSWORD } = {}) {
  await signIn(page, password, email);
  await page.waitForURL(/\/overview$/, { timeout: 10_000 });
  await page.goto(`${BASE_URL}/servers`);
  await page.getByTestId('server-count').waitFor({ state: 'visible', timeout: 20_000 });
}

/**
 * Waits until no finite animation or transition runs (a modal fading in is checked by axe at
 * half opacity otherwise, and every text in it fails colour contrast). Endless ones (an
 * animated progress bar) are not waited for.
 */
async function settled(page) {
  // A dialog's opening transition starts a frame after the dialog appears (Mantine's
  // pre-entering step): until then no animation runs and the dialog is still transparent,
  // and axe measured its half-faded text as low contrast (CI, 2026-12-08). Let two frames
  // pass, then wait for running animations to end and every dialog to be fully opaque.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForFunction(
    () => {
      const opaque = (el) => {
        for (let n = el; n; n = n.parentElement) {
          if (Number(getComputedStyle(n).opacity) < 1) return false;
        }
        return true;
      };
      return (
        document
          .getAnimations()
          .every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity) &&
        [...document.querySelectorAll('[role="dialog"]')].every(opaque)
      );
    },
    null,
    { timeout: 5_000, polling: 50 },
  );
}

export async function assertNoAxeViolations(page, where) {
  await settled(page);
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const summary = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  assert.deepEqual(summary, [], `axe-core found WCAG 2.1 AA violations on ${where}`);
}

/** Red of a destructive button (DangerButton) when hovered or focused, in light and dark. */
export const FILLED_RED = 'rgb(201, 42, 42)';

/**
 * Waits until the element of `locator` is filled red (`filled` true) or not (false). It polls
 * that one element's computed background, so a colour transition still running after the mouse
 * moved (or another destructive button on the page) cannot decide it. The locator is resolved
 * again at every look: a page that re-renders the button (data arriving again) puts a new
 * element under the mouse, and a handle to the old one would never change colour.
 */
export async function waitForFilledRed(page, locator, filled, message) {
  const deadline = Date.now() + 3_000;
  const look = () => locator.evaluate((node) => getComputedStyle(node).backgroundColor, null, { timeout: 1_000 }).catch((e) => `(${e.message.split('\n')[0]})`);
  let now = await look();
  while ((now === FILLED_RED) !== filled && Date.now() < deadline) {
    await page.waitForTimeout(50);
    now = await look();
  }
  assert.equal(now === FILLED_RED, filled, `${message}: background ${now} after 3 s`);
}

/** Text of the visible server rows' ids. */
export function visibleServerIds(page) {
  return page.$$eval('[data-testid="server-row"]', (rows) => rows.map((r) => r.getAttribute('data-server-id')));
}

/**
 * A webhook receiver on 127.0.0.1 (a free port) that records every request and answers 204.
 * `close()` when done.
 */
export async function startWebhookReceiver() {
  /** @type {{ method: string | undefined, url: string | undefined, headers: import('node:http').IncomingHttpHeaders, body: string }[]} */
  const requests = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object', 'the receiver did not start');
  return {
    url: `http://127.0.0.1:${address.port}/e2e-hook?token=e2e-secret-part`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Signs in over REST (as a script would) and returns an access token. */
export async function apiToken(email = EMAIL, password = PASSWORD) {
  const res = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  assert.equal(res.status, 200, `REST sign-in failed: ${res.status}`);
  return (await res.json()).access_token;
}

/**
 * One GraphQL operation with `token`; its data. Fails on top-level errors, and on a mutation
 * payload's `userErrors` (what the hub refused in the input) when the document selects them.
 */
export async function graphql(token, query, variables = {}) {
  const res = await fetch(`${BASE_URL}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, `GraphQL errors: ${JSON.stringify(body.errors)}`);
  for (const [field, value] of Object.entries(body.data ?? {})) {
    const refused = value && typeof value === 'object' && Array.isArray(value.userErrors) ? value.userErrors : [];
    assert.deepEqual(refused, [], `${field} refused: ${JSON.stringify(refused)}`);
  }
  return body.data;
}

/** Runs an ad-hoc command from the Run page (targets already chosen), confirmed; the new execution's id. */
export async function runAdHoc(page, command) {
  await page.getByText('Ad-hoc command', { exact: true }).click();
  await page.getByLabel('Shell command').fill(command);
  // The hub's preview shows the exact command per server.
  await page.getByTestId('command-preview').getByText(command, { exact: true }).first().waitFor({ timeout: 10_000 });
  await page.getByRole('button', { name: 'Review and run' }).click();
  await page.getByRole('dialog').getByRole('button', { name: /^Run on \d+ servers?$/ }).click();
  await page.waitForURL(/\/executions\/[^/]+$/, { timeout: 10_000 });
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
}

