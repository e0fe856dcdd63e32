// Action templates (route /templates): the list, and one template's page (/templates/:id) with
// its typed parameters, command, execution settings, success criteria and usage; edit and delete
// (after confirming) from there, create from the list.
import { Alert, Anchor, Badge, Button, Card, Code, Group, SimpleGrid, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { DeleteTemplateMutation, TemplateQuery, TemplatesQuery } from '../api/templates';
import { mutationError, mutationProblems } from '../lib/errors';
import { formatDateTime } from '../lib/format';
import { templateDocument } from './document';
import { defaultText, parseParameters } from '../run/parameters';
import { PageLoader } from '../shell/PageLoader';
import { ConfirmDialog } from '../shell/ConfirmDialog';
import { DangerButton } from '../shell/DangerButton';

export function TemplateDetail() {
  const { templateId = '' } = useParams();
  const navigate = useNavigate();
  const [{ data, error }] = useQuery({ query: TemplateQuery, variables: { id: templateId } });
  const [deleting, setDeleting] = useState(false);
  const [deleteState, remove] = useMutation(DeleteTemplateMutation);
  if (!data) {
    return error ? (
      <Alert color="red" variant="light" role="alert" title="Could not load the template">
        {error.message}
      </Alert>
    ) : (
      <PageLoader label="Loading template" />
    );
  }
  const template = data.actionTemplate;
  if (!template) {
    return (
      <Alert color="yellow" variant="light" role="alert" title="No such template">
        There is no template “{templateId}”. See <Anchor component={Link} to="/templates">all templates</Anchor>.
      </Alert>
    );
  }
  const specs = parseParameters(template.parameterDefinitions);
  const document = templateDocument(template);
  const doDelete = async () => {
    const result = await remove({ id: template.templateId });
    if (mutationProblems(result, result.data?.deleteActionTemplate).length === 0) void navigate('/templates', { replace: true });
  };
  return (
    <Stack gap="md" maw={1000}>
      <Anchor component={Link} to="/templates" size="sm">
        ← Templates
      </Anchor>
      <Group justify="space-between">
        <Group gap="sm">
          <Title order={1} size="h2">
            {template.name}
          </Title>
          <Badge variant="default" tt="none">
            v{template.version}
          </Badge>
        </Group>
        <Group gap="sm">
          <Button component={Link} to={`/run?template=${encodeURIComponent(template.templateId)}`}>
            Run this template
          </Button>
          <Button variant="default" component={Link} to={`/templates/${encodeURIComponent(template.templateId)}/edit`}>
            Edit
          </Button>
          <DangerButton onClick={() => setDeleting(true)}>Delete</DangerButton>
        </Group>
      </Group>
      <Text>{template.description}</Text>
      <Text size="sm" c="dimmed">
        Category {template.category} · {template.actionType} · id <Code>{template.templateId}</Code> · used {template.metadata.usageCount} times · created{' '}
        {formatDateTime(template.metadata.createdAt)} by {template.metadata.createdBy} · updated {formatDateTime(template.metadata.updatedAt)}
      </Text>
      {template.applicableServerTags.length > 0 && (
        <Group gap={4}>
          <Text size="sm">Runs on servers tagged:</Text>
          {template.applicableServerTags.map((t) => (
            <Badge key={t} variant="default" tt="none">
              {t}
            </Badge>
          ))}
        </Group>
      )}
      <Card withBorder component="section" aria-labelledby="cmd-title">
        <Title order={2} size="h4" id="cmd-title" mb="xs">
          Command
        </Title>
        <Code block>{template.commandTemplate}</Code>
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder component="section" aria-labelledby="exec-title">
          <Title order={2} size="h4" id="exec-title" mb="xs">
            Execution settings
          </Title>
          <Code block>{JSON.stringify(document.execution_config, null, 2)}</Code>
        </Card>
        <Card withBorder component="section" aria-labelledby="criteria-title">
          <Title order={2} size="h4" id="criteria-title" mb="xs">
            Success criteria
          </Title>
          <Code block>{JSON.stringify(document.success_criteria, null, 2)}</Code>
        </Card>
      </SimpleGrid>
      <ConfirmDialog
        opened={deleting}
        title={<>Delete “{template.name}”?</>}
        error={mutationError(deleteState, deleteState.data?.deleteActionTemplate)}
        errorTitle="Could not delete"
        confirmLabel="Delete template"
        busy={deleteState.fetching}
        onConfirm={() => void doDelete()}
        onClose={() => setDeleting(false)}
      >
        Past executions keep their record; the template can no longer be run.
      </ConfirmDialog>
      <Card withBorder component="section" aria-labelledby="params-title">
        <Title order={2} size="h4" id="params-title" mb="xs">
          Parameters
        </Title>
        {specs.length === 0 ? (
          <Text size="sm" c="dimmed">
            None.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={600}>
            <Table aria-labelledby="params-title">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Name</Table.Th>
                  <Table.Th scope="col">Type</Table.Th>
                  <Table.Th scope="col">Required</Table.Th>
                  <Table.Th scope="col">Default</Table.Th>
                  <Table.Th scope="col">Rule</Table.Th>
                  <Table.Th scope="col">Description</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {specs.map((s) => (
                  <Table.Tr key={s.name}>
                    <Table.Td ff="monospace">{s.name}</Table.Td>
                    <Table.Td>{s.type}</Table.Td>
                    <Table.Td>{s.required ? 'yes' : 'no'}</Table.Td>
                    <Table.Td>{defaultText(s.default) || '–'}</Table.Td>
                    <Table.Td ff="monospace">{s.validation ?? s.values?.join(' | ') ?? '–'}</Table.Td>
                    <Table.Td>{s.description}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
    </Stack>
  );
}

export default function TemplatesPage() {
  const [{ data, error }] = useQuery({ query: TemplatesQuery });
  const [q, setQ] = useState('');
  const shown = (data?.actionTemplates.nodes ?? []).filter((t) => `${t.name} ${t.category} ${t.description}`.toLowerCase().includes(q.trim().toLowerCase()));
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={1} size="h2" id="templates-title">
          Templates
        </Title>
        <Button component={Link} to="/templates/new">
          New template
        </Button>
      </Group>
      <TextInput label="Search" type="search" value={q} onChange={(e) => setQ(e.currentTarget.value)} w={280} data-shortcut-search />
      {error && (
        <Alert color="red" variant="light" role="alert" title="Could not load templates">
          {error.message}
        </Alert>
      )}
      {!data && !error && <PageLoader label="Loading templates" />}
      {data && shown.length === 0 && (
        <Text c="dimmed" ta="center" py="xl">
          {data.actionTemplates.totalCount === 0 ? 'No templates yet.' : 'No templates match.'}
        </Text>
      )}
      {shown.length > 0 && (
        <Table.ScrollContainer minWidth={700}>
          <Table striped highlightOnHover aria-labelledby="templates-title">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Category</Table.Th>
                <Table.Th scope="col">Type</Table.Th>
                <Table.Th scope="col">Version</Table.Th>
                <Table.Th scope="col">Used</Table.Th>
                <Table.Th scope="col">Description</Table.Th>
                <Table.Th scope="col">
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((t) => (
                <Table.Tr key={t.templateId} data-testid="template-row">
                  <Table.Td>
                    <Anchor component={Link} to={`/templates/${encodeURIComponent(t.templateId)}`}>
                      {t.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{t.category}</Table.Td>
                  <Table.Td>{t.actionType}</Table.Td>
                  <Table.Td>{t.version}</Table.Td>
                  <Table.Td>{t.metadata.usageCount}</Table.Td>
                  <Table.Td>{t.description}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="default" component={Link} to={`/run?template=${encodeURIComponent(t.templateId)}`} aria-label={`Run ${t.name}`}>
                      Run
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
