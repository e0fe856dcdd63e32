// Create or edit a template (routes /templates/new and /templates/:templateId/edit): the
// template document as JSON, checked here for the basics and by the hub for the rest, whose
// problems are listed as it sends them.
import { Alert, Anchor, Button, Group, List, Stack, Text, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { CreateTemplateMutation, TemplateQuery, UpdateTemplateMutation } from '../api/templates';
import { PageLoader } from '../shell/PageLoader';
import { NEW_TEMPLATE, parseTemplateDocument, templateDocument } from './document';

function Editor({ id, initial }: { id: string | null; initial: Record<string, unknown> }) {
  const navigate = useNavigate();
  const [text, setText] = useState(() => JSON.stringify(initial, null, 2));
  const [problems, setProblems] = useState<string[]>([]);
  const [createState, create] = useMutation(CreateTemplateMutation);
  const [updateState, update] = useMutation(UpdateTemplateMutation);
  const saving = createState.fetching || updateState.fetching;

  const save = async () => {
    const parsed = parseTemplateDocument(text);
    if ('problems' in parsed) {
      setProblems(parsed.problems);
      return;
    }
    setProblems([]);
    const result = id ? await update({ id, input: parsed.document }) : await create({ input: parsed.document });
    if (result.error) {
      setProblems(result.error.graphQLErrors.length ? result.error.graphQLErrors.flatMap((e) => e.message.split(/;\s*/)) : [result.error.message]);
      return;
    }
    const saved = result.data && ('createActionTemplate' in result.data ? result.data.createActionTemplate : result.data.updateActionTemplate);
    if (saved) void navigate(`/templates/${encodeURIComponent(saved.id)}`);
  };

  return (
    <Stack gap="md" maw={900}>
      <Anchor component={Link} to={id ? `/templates/${encodeURIComponent(id)}` : '/templates'} size="sm">
        ← {id ? 'Template' : 'Templates'}
      </Anchor>
      <Title order={1} size="h2">
        {id ? 'Edit template' : 'New template'}
      </Title>
      <Text size="sm" c="dimmed">
        Parameters are typed: string (with a validation regex), integer, boolean, enum (with values) or secret. Use {'{name}'} in command_template.
      </Text>
      <Textarea label="Template (JSON)" value={text} onChange={(e) => setText(e.currentTarget.value)} autosize minRows={16} maxRows={40} styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }} spellCheck={false} />
      {problems.length > 0 && (
        <Alert color="red" variant="light" role="alert" title="Fix these and save again">
          <List size="sm">
            {problems.map((p) => (
              <List.Item key={p}>{p}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      <Group>
        <Button onClick={() => void save()} loading={saving}>
          {id ? 'Save changes' : 'Create template'}
        </Button>
        <Button variant="default" component={Link} to={id ? `/templates/${encodeURIComponent(id)}` : '/templates'}>
          Cancel
        </Button>
      </Group>
    </Stack>
  );
}

export default function TemplateEditor() {
  const { templateId } = useParams();
  const [{ data, error }] = useQuery({ query: TemplateQuery, variables: { id: templateId ?? '' }, pause: !templateId });
  if (!templateId) return <Editor id={null} initial={NEW_TEMPLATE} />;
  if (!data) {
    return error ? (
      <Alert color="red" variant="light" role="alert" title="Could not load the template">
        {error.message}
      </Alert>
    ) : (
      <PageLoader label="Loading template" />
    );
  }
  if (!data.actionTemplate) {
    return (
      <Alert color="yellow" variant="light" role="alert" title="No such template">
        There is no template “{templateId}”. See <Anchor component={Link} to="/templates">all templates</Anchor>.
      </Alert>
    );
  }
  return <Editor key={templateId} id={templateId} initial={templateDocument(data.actionTemplate)} />;
}
