// Tests for the template form's mapping: a document read into the form and written back is the
// same document (keys the form does not show included), edits land in the right keys, emptied
// fields fall back to the hub's defaults, and the hub's problems land at the fields they name.
import { CombinedError } from 'urql';
import { describe, expect, it } from 'vitest';
import { mutationProblems } from '../lib/errors';
import { graphQLError, userError } from '../test/client';
import { NEW_TEMPLATE } from './document';
import { documentProblems, documentToForm, emptyParameter, formToDocument, hubProblems, validateForm } from './form';

/** As the hub returns a template (templateDocument of the fragment): nulls where unset. */
const HUB_DOC = {
  name: 'Tail a log',
  description: 'The last lines',
  category: 'application',
  action_type: 'validation',
  version: '1.0.3',
  parameters: {
    file: { type: 'string', required: true, default: null, description: 'A log file', validation: '/var/log/.+' },
    lines: { type: 'integer', required: false, default: 50, description: '', validation: null, min: 1, max: 5000 },
    level: { type: 'enum', required: false, default: 'info', description: '', validation: null, values: ['info', 'warn'] },
    follow: { type: 'boolean', required: false, default: false, description: '', validation: null },
    token: { type: 'secret', required: false, default: '***', description: '', validation: null },
  },
  execution_config: { timeout_seconds: 30, retry_count: 2, retry_delay_seconds: 5, requires_lock: true, parallel_execution: false },
  command_template: 'tail -n {lines} -- {file}',
  success_criteria: { exit_code: 0, output_contains: ['OK', 'done, really'], output_not_contains: ['ERROR'], execution_time_max: 12.5 },
  applicable_server_tags: ['web', 'nginx'],
};

describe('documentToForm / formToDocument', () => {
  it('gives back the same document, as the hub returns it and as a new one starts', () => {
    expect(formToDocument(documentToForm(HUB_DOC))).toEqual(HUB_DOC);
    expect(formToDocument(documentToForm(NEW_TEMPLATE))).toEqual(NEW_TEMPLATE);
  });

  it('keeps keys the form does not show, at every level', () => {
    const doc = {
      ...HUB_DOC,
      owner_team: 'ops',
      parameters: { file: { ...HUB_DOC.parameters.file, ui_hint: 'path' } },
      execution_config: { ...HUB_DOC.execution_config, nice: 10 },
      success_criteria: { exit_code: 3, stderr_empty: true },
    };
    const form = documentToForm(doc);
    form.name = 'Renamed';
    form.parameters[0]!.description = 'Which log';
    form.timeoutSeconds = '45';
    const out = formToDocument(form);
    expect(out.owner_team).toBe('ops');
    expect(out.name).toBe('Renamed');
    expect(out.parameters).toEqual({ file: { ...HUB_DOC.parameters.file, description: 'Which log', ui_hint: 'path' } });
    expect(out.execution_config).toEqual({ ...HUB_DOC.execution_config, timeout_seconds: 45, nice: 10 });
    expect(out.success_criteria).toEqual({ exit_code: 3, stderr_empty: true });
  });

  it('reads each setting into its field', () => {
    const form = documentToForm(HUB_DOC);
    expect(form).toMatchObject({
      category: 'application',
      actionType: 'validation',
      timeoutSeconds: '30',
      retryCount: '2',
      retryDelaySeconds: '5',
      requiresLock: true,
      parallelExecution: false,
      exitCode: '0',
      outputContains: 'OK\ndone, really',
      outputNotContains: 'ERROR',
      executionTimeMax: '12.5',
      tags: 'web, nginx',
    });
    expect(form.parameters.map((p) => [p.name, p.type, p.required, p.default, p.min, p.max, p.values])).toEqual([
      ['file', 'string', true, '', '', '', ''],
      ['lines', 'integer', false, '50', '1', '5000', ''],
      ['level', 'enum', false, 'info', '', '', 'info\nwarn'],
      ['follow', 'boolean', false, 'false', '', '', ''],
      ['token', 'secret', false, '***', '', '', ''],
    ]);
  });

  it('writes a new parameter and criteria with typed values, leaving out what is empty', () => {
    const form = documentToForm({ name: 'x', command_template: 'sleep {n}' });
    form.parameters = [{ ...emptyParameter(), name: 'n', type: 'integer', required: true, default: '5', min: '1', max: '60', validation: '', values: 'ignored' }];
    form.outputContains = 'slept\n\n';
    form.exitCode = '';
    form.tags = 'a, b c';
    const out = formToDocument(form);
    expect(out.parameters).toEqual({ n: { type: 'integer', required: true, default: 5, min: 1, max: 60 } });
    expect(out.success_criteria).toEqual({ output_contains: ['slept'] });
    expect(out.applicable_server_tags).toEqual(['a', 'b', 'c']);
    expect(out.execution_config).toEqual({ requires_lock: false, parallel_execution: true });
  });

  it('drops the constraints of a type no longer chosen; keeps text the hub must judge', () => {
    const form = documentToForm(HUB_DOC);
    const lines = form.parameters[1]!;
    form.parameters[1] = { ...lines, type: 'string', default: 'ten' };
    form.retryCount = 'many';
    const out = formToDocument(form) as { parameters: Record<string, Record<string, unknown>>; execution_config: Record<string, unknown> };
    expect(out.parameters.lines).toEqual({ type: 'string', required: false, default: 'ten', description: '', validation: null });
    expect(out.execution_config.retry_count).toBe('many');
  });
});

describe('validateForm', () => {
  it('names an unnamed or repeated parameter by its row', () => {
    const form = documentToForm(NEW_TEMPLATE);
    form.parameters.push({ ...emptyParameter(), name: 'mount' }, emptyParameter());
    expect(validateForm(form)).toEqual({ 'parameter#1': 'Another parameter is already named “mount”', 'parameter#2': 'Give the parameter a name' });
    expect(validateForm(documentToForm(NEW_TEMPLATE))).toEqual({});
  });
});

describe('hubProblems', () => {
  const refused = (...errors: ReturnType<typeof userError>[]) => hubProblems(mutationProblems({}, { userErrors: errors }));

  it('puts each problem at the document path its field names, and lists them all', () => {
    const problems = refused(
      userError(['input', 'parameters', 'n', 'default'], 'parameters.n.default: 0 is less than the minimum 1'),
      userError(['input', 'commandTemplate'], 'command_template: placeholder {x} is inside backticks, whose contents the shell reads twice; use $( ) instead'),
      userError(['input', 'executionConfig', 'retryCount'], 'execution_config.retry_count: at most 10'),
    );
    expect(problems).toEqual({
      fields: {
        'parameters.n.default': '0 is less than the minimum 1',
        command_template: 'placeholder {x} is inside backticks, whose contents the shell reads twice; use $( ) instead',
        'execution_config.retry_count': 'at most 10',
      },
      all: [
        'parameters.n.default: 0 is less than the minimum 1',
        'command_template: placeholder {x} is inside backticks, whose contents the shell reads twice; use $( ) instead',
        'execution_config.retry_count: at most 10',
      ],
    });
  });

  it('only lists what names no field, and other refusals', () => {
    expect(refused(userError(null, 'a template named “x” exists', 'CONFLICT'))).toEqual({ fields: {}, all: ['a template named “x” exists'] });
    expect(hubProblems(mutationProblems({ error: graphQLError('admin role required', 'FORBIDDEN') }, undefined))).toEqual({ fields: {}, all: ['admin role required'] });
    expect(hubProblems(mutationProblems({ error: new CombinedError({ networkError: new Error('Failed to fetch') }) }, undefined)).all).toEqual(['[Network] Failed to fetch']);
  });
});

describe('documentProblems', () => {
  it('puts the editor’s own problems at their paths', () => {
    expect(documentProblems(['execution_config.retry_count: must be a whole number, got "x"', 'owner: unknown key'])).toEqual({
      fields: { 'execution_config.retry_count': 'must be a whole number, got "x"', owner: 'unknown key' },
      all: ['execution_config.retry_count: must be a whole number, got "x"', 'owner: unknown key'],
    });
  });
});
