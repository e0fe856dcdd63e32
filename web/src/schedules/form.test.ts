// Schedule form logic: the cron field read out in words (standard 5-field weekdays from 0 = Sunday,
// 6-field from 1 = Sunday, as the hub counts), one problem per field, the createSchedule document
// (template + parameters, servers or selector, rate controls) and the hub's problems at their field.
import { describe, expect, it } from 'vitest';
import type { ParamSpec } from '../run/parameters';
import { describeCron, EMPTY_FORM, hubProblems, toScheduleInput, validateSchedule } from './form';

const specs: ParamSpec[] = [{ name: 'path', type: 'string', required: true, description: '', default: null }];

describe('schedule form', () => {
  it('reads cron in words', () => {
    expect(describeCron('0 9 * * 1-5')).toBe('At 09:00, Monday through Friday (UTC)');
    expect(describeCron('0 0 9 * * 2-6')).toBe('At 09:00, Monday through Friday (UTC)');
    expect(describeCron('*/5 * * * *')).toBe('Every 5 minutes (UTC)');
    expect(describeCron('nonsense')).toBeNull();
  });

  it('names each missing or wrong field', () => {
    const e = validateSchedule({ ...EMPTY_FORM, cron: '* * *', maxConcurrency: 'lots' }, specs);
    expect(e).toMatchObject({
      name: 'Name is required',
      cron: 'Cron expression has 3 fields; use 5 (minute hour day month weekday) or 6 with seconds first',
      templateId: 'Choose a template',
      'parameters.path': expect.any(String) as string,
      servers: 'Choose at least one server',
      maxConcurrency: 'Max concurrency must be a number like 10 or a percentage like 25%',
    });
    expect(validateSchedule({ ...EMPTY_FORM, kind: 'once', at: '2000-01-01T00:00' }, null).at).toBe('Run at must be in the future');
    expect(validateSchedule({ ...EMPTY_FORM, targetMode: 'selector' }, null).selector).toBe('Narrow the selector by environment, group or tags');
  });

  it('builds what createSchedule accepts', () => {
    const base = { ...EMPTY_FORM, name: ' nightly ', cron: ' 0  3 * * * ', templateId: 'tpl-1', values: { path: '/var' }, servers: ['web-01'], maxConcurrency: '25%', errorThreshold: '2' };
    expect(toScheduleInput(base, specs)).toEqual({
      name: 'nightly',
      trigger: { type: 'cron', expression: '0 3 * * *' },
      execution: { action_template_id: 'tpl-1', parameters: { path: '/var' }, target_servers: ['web-01'], max_concurrency: '25%', error_threshold: '2' },
      enabled: true,
    });
    const sel = toScheduleInput({ ...base, targetMode: 'selector', environment: 'prod', tags: ['db'], maxConcurrency: '', errorThreshold: '' }, specs);
    expect(sel.execution).toEqual({ action_template_id: 'tpl-1', parameters: { path: '/var' }, selector: { environment: 'prod', tags: ['db'] } });
  });

  it('puts the hub’s problems at their fields', () => {
    expect(hubProblems(['trigger.expression: "61 * * * *" is not a valid cron expression; name: must not be empty'])).toEqual({
      cron: '"61 * * * *" is not a valid cron expression',
      name: 'must not be empty',
    });
    expect(hubProblems(['execution: max_concurrency must be positive'])).toEqual({ maxConcurrency: 'max_concurrency must be positive' });
    expect(hubProblems(['something else broke'])).toEqual({ form: 'something else broke' });
  });
});
