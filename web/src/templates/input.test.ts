// The template document (the specification's JSON) turned into `ActionTemplateInput`: every key
// in its typed place, nulls as "not set", and every unknown or ill-typed key named by its path.
import { describe, expect, it } from 'vitest';
import { NEW_TEMPLATE, templateDocument } from './document';
import { documentToInput } from './input';

const DOC = {
  name: 'Tail a log',
  description: 'The last lines',
  category: 'application',
  action_type: 'validation',
  version: '1.0.3',
  parameters: {
    file: { type: 'string', required: true, default: null, description: 'A log file', validation: '/var/log/.+' },
    lines: { type: 'integer', required: false, default: 50, description: '', validation: null, min: 1, max: 5000 },
    level: { type: 'enum', default: 'info', values: ['info', 'warn'] },
    follow: { type: 'boolean', default: false },
    token: { type: 'secret' },
  },
  execution_config: { timeout_seconds: 30, retry_count: 2, retry_delay_seconds: 5, requires_lock: true, parallel_execution: false },
  command_template: 'tail -n {lines} -- {file}',
  success_criteria: { exit_code: 0, output_contains: ['OK'], output_not_contains: ['ERROR'], execution_time_max: 12.5 },
  applicable_server_tags: ['web', 'nginx'],
};

describe('documentToInput', () => {
  it('puts every key of the document in its typed place', () => {
    expect(documentToInput(DOC)).toEqual({
      input: {
        name: 'Tail a log',
        description: 'The last lines',
        category: 'application',
        actionType: 'validation',
        version: '1.0.3',
        commandTemplate: 'tail -n {lines} -- {file}',
        parameters: [
          { name: 'file', type: 'STRING', required: true, description: 'A log file', validation: '/var/log/.+' },
          { name: 'lines', type: 'INTEGER', required: false, default: { int: 50 }, description: '', min: 1, max: 5000 },
          { name: 'level', type: 'ENUM', default: { string: 'info' }, values: ['info', 'warn'] },
          { name: 'follow', type: 'BOOLEAN', default: { boolean: false } },
          { name: 'token', type: 'SECRET' },
        ],
        executionConfig: { timeoutSeconds: 30, retryCount: 2, retryDelaySeconds: 5, requiresLock: true, parallelExecution: false },
        successCriteria: { exitCode: 0, outputContains: ['OK'], outputNotContains: ['ERROR'], executionTimeMax: 12.5 },
        applicableServerTags: ['web', 'nginx'],
      },
    });
  });

  it('accepts the starting template, and leaves what is not set to the hub', () => {
    expect(documentToInput(NEW_TEMPLATE)).toMatchObject({ input: { name: 'Check disk', parameters: [{ name: 'mount', type: 'STRING', required: true }] } });
    expect(documentToInput({ name: 'x', command_template: 'true' })).toEqual({ input: { name: 'x', commandTemplate: 'true' } });
  });

  it('reads back what the hub shows of a template', () => {
    const doc = templateDocument({
      templateId: 'tpl-1',
      name: 'n',
      description: '',
      category: 'system',
      actionType: 'execution',
      version: '1.0.0',
      commandTemplate: 'echo',
      applicableServerTags: [],
      parameterDefinitions: [{ name: 'count', type: 'INTEGER', required: false, default: '5', description: '', validation: null, min: 1, max: null, values: [] }],
      executionSettings: { timeoutSeconds: 300, retryCount: 0, retryDelaySeconds: 0, requiresLock: false, parallelExecution: true },
      successConditions: { exitCode: null, outputContains: [], outputNotContains: [], executionTimeMax: null },
      metadata: { createdAt: '', createdBy: '', updatedAt: '', usageCount: 0 },
    });
    expect(documentToInput(doc)).toMatchObject({
      input: { parameters: [{ name: 'count', type: 'INTEGER', default: { int: 5 }, min: 1 }], successCriteria: { outputContains: [], outputNotContains: [] } },
    });
  });

  it('names every unknown or ill-typed key by its path, all at once', () => {
    const result = documentToInput({
      ...DOC,
      owner_team: 'ops',
      metadata: {},
      parameters: { file: { type: 'path', ui_hint: 'x' }, n: { type: 'integer', default: 'ten', min: 1.5 }, flag: 'yes', t: { values: 'a' } },
      execution_config: { timeout_seconds: '30s', nice: 10 },
      success_criteria: { output_contains: ['ok', 3], execution_time_max: 'soon' },
      applicable_server_tags: 'web',
    });
    expect(result).toEqual({
      problems: [
        'owner_team: unknown key (known: name, description, category, action_type, version, parameters, command_template, execution_config, success_criteria, applicable_server_tags)',
        'metadata: set by the hub; remove it',
        'parameters.file.ui_hint: unknown key (known: type, required, default, description, validation, min, max, values)',
        'parameters.file.type: must be one of string, integer, boolean, enum, secret, got "path"',
        'parameters.n.default: must be a whole number, got "ten"',
        'parameters.n.min: must be a whole number, got 1.5',
        'parameters.flag: must be an object, got "yes"',
        'parameters.t.type: required: one of string, integer, boolean, enum, secret',
        'parameters.t.values: must be a list of text, got "a"',
        'execution_config.nice: unknown key (known: timeout_seconds, retry_count, retry_delay_seconds, requires_lock, parallel_execution)',
        'execution_config.timeout_seconds: must be a whole number, got "30s"',
        'success_criteria.output_contains[1]: must be text, got 3',
        'success_criteria.execution_time_max: must be a number, got "soon"',
        'applicable_server_tags: must be a list of text, got "web"',
      ],
    });
  });

  it('requires a name and a command', () => {
    expect(documentToInput({ name: ' ', command_template: 7 })).toEqual({ problems: ['name: required text', 'command_template: must be text, got 7'] });
    expect(documentToInput({})).toEqual({ problems: ['name: required text', 'command_template: required text'] });
  });
});
