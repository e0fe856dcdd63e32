// The filter bar above the servers table: environments and statuses (several at once), last-seen
// range, group, tags and free-text search. Options come from the known values plus what the
// fetched servers carry, so nothing in the URL becomes unselectable.
import { Chip, Group, MultiSelect, NativeSelect, Stack, Text, TextInput } from '@mantine/core';
import { LAST_SEEN, type LastSeen, type ServerListFilters } from './filters';
import { SERVER_STATE_LOOK, SERVER_STATES, isServerState } from './status';

export interface ServerFiltersProps {
  filters: ServerListFilters;
  environments: string[];
  groups: string[];
  tags: string[];
  onChange: (patch: Partial<ServerListFilters>) => void;
}

function ChipFilter({ label, values, options, onChange }: { label: string; values: string[]; options: { value: string; label: string }[]; onChange: (values: string[]) => void }) {
  const id = `filter-${label.toLowerCase().replace(/\s+/g, '-')}`;
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500} id={id}>
        {label}
      </Text>
      <Group gap={6} role="group" aria-labelledby={id}>
        <Chip.Group multiple value={values} onChange={onChange}>
          {options.map((option) => (
            <Chip key={option.value} value={option.value} size="sm" variant="outline">
              {option.label}
            </Chip>
          ))}
        </Chip.Group>
      </Group>
    </Stack>
  );
}

export function ServerFilters({ filters, environments, groups, tags, onChange }: ServerFiltersProps) {
  return (
    <Stack gap="sm" role="search" aria-label="Filter servers">
      <Group align="flex-end" gap="lg" wrap="wrap">
        <ChipFilter
          label="Environment"
          values={filters.environments}
          options={environments.map((env) => ({ value: env, label: env }))}
          onChange={(values) => onChange({ environments: values })}
        />
        <ChipFilter
          label="Status"
          values={filters.statuses}
          options={SERVER_STATES.map((state) => ({ value: state, label: SERVER_STATE_LOOK[state].label }))}
          onChange={(values) => onChange({ statuses: values.filter(isServerState) })}
        />
      </Group>
      <Group align="flex-end" gap="md" wrap="wrap">
        <TextInput
          label="Search"
          type="search"
          placeholder="ID, hostname, IP or tag  ( / )"
          value={filters.q}
          onChange={(event) => onChange({ q: event.currentTarget.value })}
          w={280}
          data-shortcut-search
        />
        <NativeSelect
          label="Last seen"
          value={filters.lastSeen}
          onChange={(event) => onChange({ lastSeen: event.currentTarget.value as LastSeen })}
          data={Object.entries(LAST_SEEN).map(([value, { label }]) => ({ value, label }))}
          w={210}
        />
        <NativeSelect
          label="Group"
          value={filters.group ?? ''}
          onChange={(event) => onChange({ group: event.currentTarget.value || null })}
          data={[{ value: '', label: 'All groups' }, ...groups.map((g) => ({ value: g, label: g }))]}
          w={170}
        />
        <MultiSelect
          label="Tags"
          placeholder={filters.tags.length ? undefined : 'Any tag'}
          data={tags}
          value={filters.tags}
          onChange={(values) => onChange({ tags: values })}
          searchable
          clearable
          w={260}
          comboboxProps={{ withinPortal: true }}
        />
      </Group>
    </Stack>
  );
}
