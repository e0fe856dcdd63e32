// Table tests for typed template parameters: parsing, validation messages, the payload sent and
// the masked command preview.
import { describe, expect, it } from 'vitest';
import type { ParameterType } from '../gql/graphql';
import { initialValues, parameterValueInput, parseParameters, renderCommand, shellQuote, toParameterPayload, validateParameters, validateRate, type ParameterDefinitionLike } from './parameters';

/** A definition as `parameterDefinitions` gives it (defaults as text, `***` for a secret's). */
const def = (name: string, type: string, more: Partial<ParameterDefinitionLike> = {}): ParameterDefinitionLike => ({ name, type: type as ParameterType, required: false, default: null, description: '', validation: null, values: [], ...more });

const SPECS = parseParameters([
  def('db', 'STRING', { required: true, description: 'Database', validation: '^[a-z][a-z0-9_]*$' }),
  def('tables', 'INTEGER', { default: '10' }),
  def('verbose', 'BOOLEAN', { default: 'true' }),
  def('mode', 'ENUM', { values: ['fast', 'full'], required: true }),
  def('password', 'SECRET', { required: true, default: '***' }),
  // A type this dashboard does not know yet (a newer hub): read as a string.
  def('odd', 'MYSTERY'),
]);

describe('parseParameters', () => {
  it('reads types, defaults and rules; required first; unknown types as strings', () => {
    expect(SPECS.map((s) => [s.name, s.type, s.required])).toEqual([
      ['db', 'string', true],
      ['mode', 'enum', true],
      ['password', 'secret', true],
      ['tables', 'integer', false],
      ['verbose', 'boolean', false],
      ['odd', 'string', false],
    ]);
    expect(SPECS.find((s) => s.name === 'mode')!.values).toEqual(['fast', 'full']);
    expect(SPECS.find((s) => s.name === 'db')!.validation).toBe('^[a-z][a-z0-9_]*$');
    expect(parseParameters(null)).toEqual([]);
    expect(parseParameters([])).toEqual([]);
  });

  it('fills defaults, never for secrets', () => {
    expect(initialValues(SPECS)).toEqual({ db: '', mode: '', password: '', tables: '10', verbose: true, odd: '' });
  });
});

describe('validateParameters', () => {
  it('lists every problem at once', () => {
    expect(validateParameters(SPECS, { db: '9bad', tables: '1.5', verbose: false, mode: 'slow', password: '', odd: '' })).toEqual({
      db: 'Must match ^[a-z][a-z0-9_]*$',
      tables: 'Must be a whole number',
      mode: 'Must be one of: fast, full',
      password: 'Required',
    });
  });

  it('accepts a valid form and skips empty optional fields', () => {
    expect(validateParameters(SPECS, { db: 'staging_db', tables: '', verbose: true, mode: 'full', password: 's3cret', odd: '' })).toEqual({});
    expect(validateParameters(SPECS, { db: 'x', tables: '-3', verbose: true, mode: 'fast', password: 'p', odd: '' })).toEqual({});
  });
});

describe('toParameterPayload', () => {
  it('sends typed values and leaves out empty optional ones', () => {
    expect(toParameterPayload(SPECS, { db: 'd', tables: ' 42 ', verbose: false, mode: 'fast', password: 'p', odd: '' })).toEqual([
      { name: 'db', value: { string: 'd' } },
      { name: 'mode', value: { string: 'fast' } },
      { name: 'password', value: { string: 'p' } },
      { name: 'tables', value: { int: 42 } },
      { name: 'verbose', value: { boolean: false } },
    ]);
  });

  it('types a value the hub shows as text again by its parameter’s type', () => {
    expect(parameterValueInput('INTEGER', '-7')).toEqual({ int: -7 });
    expect(parameterValueInput('BOOLEAN', 'false')).toEqual({ boolean: false });
    expect(parameterValueInput('STRING', '42')).toEqual({ string: '42' });
    expect(parameterValueInput(undefined, 'x')).toEqual({ string: 'x' });
    expect(parameterValueInput('INTEGER', '***')).toEqual({ string: '***' });
  });
});

describe('renderCommand', () => {
  it('inserts each value as one quoted shell word and masks secrets', () => {
    const command = renderCommand('run --db={db} --mode={mode} --pw={password} --n={tables} {unknown}', SPECS, {
      db: "x'; rm -rf /",
      mode: 'fast',
      password: 'hunter2',
      tables: '',
      verbose: true,
      odd: '',
    });
    expect(command).toBe(`run --db='x'\\''; rm -rf /' --mode='fast' --pw=*** --n='10' {unknown}`);
    expect(command).not.toContain('hunter2');
  });

  it('quotes like a POSIX shell', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('validateRate', () => {
  it.each([
    ['', null],
    ['10', null],
    ['25%', null],
    ['100%', null],
    ['0', 'Max concurrency must be at least 1'],
    ['101%', 'Max concurrency cannot be more than 100%'],
    ['ten', 'Max concurrency must be a number like 10 or a percentage like 25%'],
  ])('%j → %j', (value, expected) => {
    expect(validateRate(value, 'Max concurrency')).toBe(expected);
  });
});
