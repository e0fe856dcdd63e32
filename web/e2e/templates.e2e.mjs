// Browser tests of the template editor's form (issue #16) against a running hub with agents
// (Debian's Chromium driven by playwright-core), in light and in dark: a template created through
// the Form tab with a typed parameter (its bounds), execution settings and success criteria; the
// hub's refusal of a default below the minimum shown at that parameter's Default field and
// listed; fixed and created; edited (the form holds what was saved), the JSON tab showing the
// same document as the form, the edit saved as a new version; deleted behind its confirmation
// (the Delete button quiet at rest, filled red on hover).
// axe-core (WCAG 2.1 AA) on the form with the refusal, the template's page, the JSON tab and the
// delete dialog.
//
//   GREENROOM_URL, GREENROOM_ADMIN_EMAIL, GREENROOM_ADMIN_PASSWORD, GREENROOM_EXPECT_SERVERS,
//   GREENROOM_CHROMIUM — as for login.e2e.mjs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BASE_URL, assertNoAxeViolations, openPage, signInToServers, useBrowser, waitForFilledRed, SUITE_TIMEOUT_MS } from './helpers.mjs';

describe('Greenroom template editor', { timeout: SUITE_TIMEOUT_MS }, () => {
  const browser = useBrowser();

  for (const colorScheme of ['light', 'dark']) {
    test(`creates a template through the form, sees the hub's refusal at its field, edits it, deletes it (${colorScheme})`, async () => {
      const { context, page, pageErrors } = await openPage(browser(), { colorScheme });
      try {
        await signInToServers(page);
        await page.goto(`${BASE_URL}/templates/new`);
        assert.equal(await page.getByRole('tab', { name: 'Form' }).getAttribute('aria-selected'), 'true', 'the form is the default tab');
        const name = `E2E form ${colorScheme} ${Date.now()}`;
        const general = page.getByRole('group', { name: 'General' });
        await general.getByLabel('Name').fill(name);
        await general.getByLabel('Description').fill('Sleeps, then says it is ready');
        await general.getByLabel('Category').selectOption('network');
        await general.getByLabel('Action type').selectOption('validation');
        await general.getByLabel('Command template').fill('sleep {seconds} && echo READY');

        // The starting template's parameter goes; a bounded integer comes.
        await page.getByRole('button', { name: 'Remove parameter mount' }).click();
        assert.equal(await page.getByTestId('parameter-row').count(), 0);
        await page.getByRole('button', { name: 'Add parameter' }).click();
        const row = page.getByTestId('parameter-row').first();
        await row.getByLabel('Name').fill('seconds');
        await row.getByLabel('Type').selectOption('integer');
        await row.getByLabel('Default').fill('0');
        await row.getByLabel('Minimum').fill('1');
        await row.getByLabel('Maximum').fill('30');
        await row.getByLabel('Description').fill('How long to sleep');
        await row.getByLabel('Required').check();

        const exec = page.getByRole('group', { name: 'Execution settings' });
        await exec.getByLabel('Timeout (seconds)').fill('20');
        await exec.getByLabel('Retries').fill('1');
        await exec.getByLabel('Retry delay (seconds)').fill('2');
        await exec.getByLabel('Requires lock').check();
        const criteria = page.getByRole('group', { name: 'Success criteria' });
        await criteria.getByLabel('Exit code').fill('0');
        await criteria.getByLabel('Output contains').fill('READY');
        await criteria.getByLabel('Output does not contain').fill('ERROR');
        await criteria.getByLabel('Maximum run time (seconds)').fill('25');
        await page.getByLabel('Applicable server tags').fill('e2e-tag');

        // The hub refuses a default below the minimum: shown at that Default field and listed.
        await page.getByRole('button', { name: 'Create template' }).click();
        const alert = page.getByRole('alert').filter({ hasText: 'Fix these and save again' });
        await alert.getByText('parameters.seconds.default: 0 is less than the minimum 1').waitFor({ timeout: 10_000 });
        const defaultField = row.getByLabel('Default');
        assert.equal(await defaultField.getAttribute('aria-invalid'), 'true');
        const describedBy = (await defaultField.getAttribute('aria-describedby')) ?? '';
        const described = await Promise.all(describedBy.split(/\s+/).filter(Boolean).map((id) => page.locator(`[id="${id}"]`).innerText()));
        assert.ok(described.some((t) => t.includes('0 is less than the minimum 1')), `the Default field names the problem (${described.join(' | ')})`);
        assert.match(page.url(), /\/templates\/new$/, 'nothing was created');
        await assertNoAxeViolations(page, `template form with the hub's refusal (${colorScheme})`);

        await defaultField.fill('5');
        await page.getByRole('button', { name: 'Create template' }).click();
        await page.getByRole('heading', { name }).waitFor({ timeout: 10_000 });
        const detailUrl = page.url();
        await page.getByText('v1.0.0', { exact: true }).waitFor();
        await page.getByText('Category network · validation', { exact: false }).waitFor();
        const saved = JSON.parse(await page.locator('#criteria-title + pre, #criteria-title ~ pre').first().innerText());
        assert.deepEqual(saved, { exit_code: 0, output_contains: ['READY'], output_not_contains: ['ERROR'], execution_time_max: 25 });
        const paramRow = page.getByRole('table', { name: 'Parameters' }).getByRole('row').nth(1);
        assert.deepEqual(
          (await paramRow.getByRole('cell').allInnerTexts()).slice(0, 4),
          ['seconds', 'integer', 'yes', '5'],
        );
        await assertNoAxeViolations(page, `template page (${colorScheme})`);

        // Edit: the form holds what was saved; the JSON tab shows the same document.
        await page.getByRole('link', { name: 'Edit' }).click();
        await page.getByRole('heading', { name: 'Edit template' }).waitFor();
        const editRow = page.getByTestId('parameter-row').first();
        assert.equal(await editRow.getByLabel('Name').inputValue(), 'seconds');
        assert.equal(await editRow.getByLabel('Default').inputValue(), '5');
        assert.equal(await editRow.getByLabel('Minimum').inputValue(), '1');
        assert.equal(await page.getByRole('group', { name: 'Execution settings' }).getByLabel('Requires lock').isChecked(), true);
        await page.getByRole('group', { name: 'General' }).getByLabel('Description').fill('Sleeps, then says it is done');
        await page.getByRole('group', { name: 'Success criteria' }).getByLabel('Output contains').fill('READY\nDONE');
        await editRow.getByLabel('Maximum').fill('60');

        await page.getByRole('tab', { name: 'JSON' }).click();
        const doc = JSON.parse(await page.getByLabel('Template (JSON)').inputValue());
        assert.equal(doc.name, name);
        assert.equal(doc.description, 'Sleeps, then says it is done');
        assert.equal(doc.category, 'network');
        assert.equal(doc.action_type, 'validation');
        assert.equal(doc.command_template, 'sleep {seconds} && echo READY');
        assert.deepEqual(doc.parameters, {
          seconds: { type: 'integer', required: true, default: 5, description: 'How long to sleep', validation: null, min: 1, max: 60 },
        });
        assert.deepEqual(doc.execution_config, { timeout_seconds: 20, retry_count: 1, retry_delay_seconds: 2, requires_lock: true, parallel_execution: true });
        assert.deepEqual(doc.success_criteria, { exit_code: 0, output_contains: ['READY', 'DONE'], output_not_contains: ['ERROR'], execution_time_max: 25 });
        assert.deepEqual(doc.applicable_server_tags, ['e2e-tag']);
        await assertNoAxeViolations(page, `template JSON tab (${colorScheme})`);

        // An edit in JSON is in the form after switching back.
        doc.execution_config.retry_delay_seconds = 7;
        await page.getByLabel('Template (JSON)').fill(JSON.stringify(doc, null, 2));
        await page.getByRole('tab', { name: 'Form' }).click();
        assert.equal(await page.getByRole('group', { name: 'Execution settings' }).getByLabel('Retry delay (seconds)').inputValue(), '7');
        assert.equal(await page.getByRole('group', { name: 'General' }).getByLabel('Description').inputValue(), 'Sleeps, then says it is done');

        await page.getByRole('button', { name: 'Save changes' }).click();
        await page.waitForURL(detailUrl);
        await page.getByText('Sleeps, then says it is done').waitFor();
        await page.getByText('v1.0.1', { exact: true }).waitFor(); // an unchanged version is bumped by the hub

        // Delete: quiet at rest, filled red on hover, and confirmed.
        const remove = page.getByRole('button', { name: 'Delete', exact: true });
        await page.mouse.move(0, 0);
        await waitForFilledRed(page, remove, false, 'Delete is quiet at rest');
        await remove.hover();
        await waitForFilledRed(page, remove, true, 'Delete is filled red on hover');
        await remove.click();
        const dialog = page.getByRole('dialog');
        await dialog.getByRole('button', { name: 'Delete template' }).waitFor();
        await assertNoAxeViolations(page, `delete template dialog (${colorScheme})`);
        await dialog.getByRole('button', { name: 'Delete template' }).click();
        await page.waitForURL(/\/templates$/);
        await page.getByTestId('template-row').first().waitFor();
        assert.equal(await page.getByText(name).count(), 0);
        assert.deepEqual(pageErrors, []);
      } finally {
        await context.close();
      }
    });
  }
});
