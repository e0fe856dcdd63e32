// Schedule form logic: the cron field read out in words (standard 5-field weekdays from 0 = Sunday,
// 6-field from 1 = Sunday, as the hub counts), one problem per field, the createSchedule document
// (template + parameters, servers or selector, rate controls) and the hub's problems at the field their path names.
import { describe, expect, it } from 'vitest';
import { mutationProblems } from '../lib/errors';
import type { ParamSpec } from '../run/parameters';
import { graphQLError, userError } from '../test/client';
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
      trigger: { cron: '0 3 * * *' },
      execution: { actionTemplateId: 'tpl-1', parameters: [{ name: 'path', value: { string: '/var' } }], targetServers: ['web-01'], maxConcurrency: '25%', errorThreshold: '2' },
      enabled: true,
    });
    const sel = toScheduleInput({ ...base, targetMode: 'selector', environment: 'prod', tags: ['db'], maxConcurrency: '', errorThreshold: '' }, specs);
    expect(sel.execution).toEqual({ actionTemplateId: 'tpl-1', parameters: [{ name: 'path', value: { string: '/var' } }], selector: { environment: 'prod', tags: ['db'] } });
    const once = toScheduleInput({ ...base, kind: 'once', at: '2030-01-02T03:04' }, specs);
    expect(once.trigger).toEqual({ once: new Date('2030-01-02T03:04').toISOString() });
  });

  it('puts the hub’s problems at the fields their paths name', () => {
    const refused = (...errors: ReturnType<typeof userError>[]) => hubProblems(mutationProblems({}, { userErrors: errors }));
    expect(
      refused(userError(['input', 'trigger', 'expression'], 'trigger.expression: "61 * * * *" is not a valid cron expression'), userError(['input', 'name'], 'name: must not be empty')),
    ).toEqual({
      cron: '"61 * * * *" is not a valid cron expression',
      name: 'must not be empty',
    });
    expect(refused(userError(['input', 'trigger', 'at'], 'trigger.at: must be in the future'))).toEqual({ at: 'must be in the future' });
    expect(refused(userError(['input', 'execution'], 'execution: max_concurrency must be positive'))).toEqual({ maxConcurrency: 'max_concurrency must be positive' });
    expect(refused(userError(['input', 'execution', 'parameters', 'path'], 'execution.parameters.path: required'))).toEqual({ 'parameters.path': 'required' });
    expect(refused(userError(null, 'something else broke', 'CONFLICT'))).toEqual({ form: 'something else broke' });
    expect(hubProblems(mutationProblems({ error: graphQLError('admin role required', 'FORBIDDEN') }, undefined))).toEqual({ form: 'admin role required' });
  });
});
