// Browser test of GraphiQL inside the built dashboard against a running hub: a signed-in user
// opens /graphiql from the navigation (the hub serves the app there), runs `{ me { email } }` with
// their session's token and sees the answer — with no page error and nothing refused by the
// dashboard's Content-Security-Policy (GraphiQL ships in the app: no CDN).
//
//   GREENROOM_URL, GREENROOM_ADMIN_EMAIL, GREENROOM_ADMIN_PASSWORD, GREENROOM_CHROMIUM: see login.e2e.mjs
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ARTIFACTS, BASE_URL, EMAIL, openPage, signIn, useBrowser, SUITE_TIMEOUT_MS } from './helpers.mjs';

describe('GraphiQL', { timeout: SUITE_TIMEOUT_MS }, () => {
  const browser = useBrowser();

  test('a signed-in user runs a query in /graphiql and sees the answer', async () => {
    const { context, page, pageErrors } = await openPage(browser());
    const refused = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
    });
    try {
      await signIn(page);
      await page.waitForURL(/\/overview$/, { timeout: 10_000 });
      await page.getByRole('link', { name: /^GraphQL API/ }).click();
      await page.waitForURL(/\/graphiql$/, { timeout: 10_000 });
      await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ state: 'visible', timeout: 20_000 });
      await page.evaluate(() => {
        const editor = document.querySelector('.graphiql-query-editor .CodeMirror');
        editor.CodeMirror.setValue('{ me { email } }');
      });
      await page.getByRole('button', { name: /Execute query/ }).click();
      const response = page.locator('.graphiql-response');
      await page.waitForFunction(
        (email) => document.querySelector('.graphiql-response')?.textContent?.includes(email),
        EMAIL,
        { timeout: 20_000 },
      );
      const text = await response.textContent();
      assert.match(text ?? '', /"me"/);
      // A direct visit works too (the hub serves the dashboard at /graphiql).
      await page.goto(`${BASE_URL}/graphiql`);
      await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ state: 'visible', timeout: 20_000 });
      assert.deepEqual(pageErrors, []);
      assert.deepEqual(refused, [], 'nothing refused by the CSP');
    } catch (error) {
      await page.screenshot({ path: `${ARTIFACTS}graphiql-failure.png`, fullPage: true }).catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });
});
