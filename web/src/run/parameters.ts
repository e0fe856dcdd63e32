// A template's typed parameters (`ActionTemplate.parameterDefinitions`): read for the form, form
// values, inline validation (every problem at once), the payload sent to the hub
// (`ParameterInput`s), and the command preview the hub would build — each value one single-quoted shell
// word, secrets shown as ***.
import type { ParameterInput, ParameterType, ParameterValueInput, TemplateFieldsFragment } from '../gql/graphql';

export const PARAM_TYPES = ['string', 'integer', 'boolean', 'enum', 'secret'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export interface ParamSpec {
  name: string;
  type: ParamType;
  required: boolean;
  description: string;
  /** The default as the hub shows it: text (`"10"`, `"true"`; `***` for a secret's), null when none. */
  default: string | null;
  /** `string`: a regular expression the whole value must match. */
  validation?: string;
  /** `enum`: the allowed values. */
  values?: string[];
}

export type FormValue = string | boolean;
export type FormValues = Record<string, FormValue>;

/** A template's parameter as the hub declares it (`ActionTemplate.parameterDefinitions`). */
export type ParameterDefinitionLike = Pick<TemplateFieldsFragment['parameterDefinitions'][number], 'name' | 'type' | 'required' | 'default' | 'description' | 'validation' | 'values'>;

/** Reads the template's parameters (their types lower-cased as the specification writes them). Sorted: required first. */
export function parseParameters(definitions: readonly ParameterDefinitionLike[] | null | undefined): ParamSpec[] {
  const specs = (definitions ?? []).map((def): ParamSpec => {
    const type = def.type.toLowerCase() as ParamType;
    const spec: ParamSpec = {
      name: def.name,
      type: (PARAM_TYPES as readonly string[]).includes(type) ? type : 'string',
      required: def.required,
      description: def.description,
      default: def.default ?? null,
    };
    if (def.validation) spec.validation = def.validation;
    if (def.values.length > 0) spec.values = [...def.values];
    return spec;
  });
  return specs.sort((a, b) => Number(b.required) - Number(a.required));
}

/** A default value as form text. */
export function defaultText(value: string | null): string {
  return value ?? '';
}

export function initialValues(specs: readonly ParamSpec[]): FormValues {
  const values: FormValues = {};
  for (const spec of specs) {
    if (spec.type === 'boolean') values[spec.name] = spec.default === 'true';
    else values[spec.name] = spec.type === 'secret' ? '' : defaultText(spec.default);
  }
  return values;
}

function regexFor(pattern: string): RegExp | null {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    return null;
  }
}

/** Field name → what is wrong with it; empty when the form can be sent. */
export function validateParameters(specs: readonly ParamSpec[], values: FormValues): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const spec of specs) {
    const value = values[spec.name];
    if (spec.type === 'boolean') continue;
    const text = typeof value === 'string' ? value : '';
    if (text.trim() === '') {
      if (spec.required) errors[spec.name] = 'Required';
      continue;
    }
    switch (spec.type) {
      case 'integer':
        if (!/^-?\d+$/.test(text.trim())) errors[spec.name] = 'Must be a whole number';
        else if (!Number.isSafeInteger(Number(text.trim()))) errors[spec.name] = 'Number is too large';
        break;
      case 'enum':
        if (spec.values && !spec.values.includes(text)) errors[spec.name] = `Must be one of: ${spec.values.join(', ')}`;
        break;
      case 'string':
      case 'secret':
        if (spec.validation) {
          const re = regexFor(spec.validation);
          if (re && !re.test(text)) errors[spec.name] = `Must match ${spec.validation}`;
        }
        break;
    }
  }
  return errors;
}

/** The `parameters` sent to the hub: typed values, optional empty fields left out. */
export function toParameterPayload(specs: readonly ParamSpec[], values: FormValues): ParameterInput[] {
  const payload: ParameterInput[] = [];
  for (const spec of specs) {
    const value = values[spec.name];
    if (spec.type === 'boolean') {
      payload.push({ name: spec.name, value: { boolean: value === true } });
      continue;
    }
    const text = typeof value === 'string' ? value : '';
    if (text.trim() === '') continue;
    payload.push({ name: spec.name, value: spec.type === 'integer' ? { int: Number(text.trim()) } : { string: text } });
  }
  return payload;
}

/** A value the hub shows as text (`ParameterValue.value`) as `ParameterValueInput` for its type. */
export function parameterValueInput(type: ParameterType | undefined, text: string): ParameterValueInput {
  if (type === 'INTEGER' && /^-?\d+$/.test(text)) return { int: Number(text) };
  if (type === 'BOOLEAN' && (text === 'true' || text === 'false')) return { boolean: text === 'true' };
  return { string: text };
}

/** One single-quoted shell word: `it's` → `'it'\''s'`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The command the hub would run, with secrets masked. */
export function renderCommand(template: string, specs: readonly ParamSpec[], values: FormValues): string {
  const byName = new Map(specs.map((s) => [s.name, s]));
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
    const spec = byName.get(name);
    if (!spec) return whole;
    if (spec.type === 'secret') return '***';
    const value = values[name];
    const text = typeof value === 'boolean' ? String(value) : value ?? '';
    return shellQuote(text === '' ? defaultText(spec.default) : text);
  });
}

/** "10" or "25%": a positive count or a percentage of 1–100. Null when valid. */
export function validateRate(value: string, label: string): string | null {
  const v = value.trim();
  if (v === '') return null;
  const m = /^(\d+)(%?)$/.exec(v);
  if (!m) return `${label} must be a number like 10 or a percentage like 25%`;
  const n = Number(m[1]);
  if (n < 1) return `${label} must be at least 1`;
  if (m[2] === '%' && n > 100) return `${label} cannot be more than 100%`;
  return null;
}
