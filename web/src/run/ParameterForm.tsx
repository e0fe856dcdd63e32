// The form generated from a template's typed parameters: a text field (with its regex), a whole
// number, a switch, a choice or a password field per parameter, each showing its error inline.
import { NativeSelect, PasswordInput, Stack, Switch, Text, TextInput } from '@mantine/core';
import type { FormValues, ParamSpec } from './parameters';

export interface ParameterFormProps {
  specs: readonly ParamSpec[];
  values: FormValues;
  errors: Record<string, string>;
  /** Errors show once a field was touched or the user tried to continue. */
  shown: (name: string) => boolean;
  onChange: (name: string, value: string | boolean) => void;
  onBlur: (name: string) => void;
}

export function ParameterForm({ specs, values, errors, shown, onChange, onBlur }: ParameterFormProps) {
  if (specs.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        This template takes no parameters.
      </Text>
    );
  }
  return (
    <Stack gap="sm">
      {specs.map((spec) => {
        const error = shown(spec.name) ? errors[spec.name] : undefined;
        const text = typeof values[spec.name] === 'string' ? (values[spec.name] as string) : '';
        const common = {
          label: spec.name,
          description: [spec.description, spec.validation ? `Pattern: ${spec.validation}` : ''].filter(Boolean).join(' — ') || undefined,
          required: spec.required,
          error,
          onBlur: () => onBlur(spec.name),
          maw: 480,
        };
        switch (spec.type) {
          case 'boolean':
            return (
              <Switch
                key={spec.name}
                label={spec.name}
                description={spec.description || undefined}
                checked={values[spec.name] === true}
                onChange={(e) => onChange(spec.name, e.currentTarget.checked)}
              />
            );
          case 'enum':
            return (
              <NativeSelect
                key={spec.name}
                {...common}
                value={text}
                onChange={(e) => onChange(spec.name, e.currentTarget.value)}
                data={[{ value: '', label: spec.required ? 'Choose…' : '(none)' }, ...(spec.values ?? []).map((v) => ({ value: v, label: v }))]}
              />
            );
          case 'secret':
            return (
              <PasswordInput
                key={spec.name}
                {...common}
                value={text}
                autoComplete="off"
                onChange={(e) => onChange(spec.name, e.currentTarget.value)}
                aria-invalid={error ? true : undefined}
                visibilityToggleButtonProps={{ 'aria-label': `Show ${spec.name}` }}
              />
            );
          case 'integer':
            return <TextInput key={spec.name} {...common} inputMode="numeric" value={text} onChange={(e) => onChange(spec.name, e.currentTarget.value)} />;
          default:
            return <TextInput key={spec.name} {...common} value={text} onChange={(e) => onChange(spec.name, e.currentTarget.value)} />;
        }
      })}
    </Stack>
  );
}
