// Create or edit a template (routes /templates/new and /templates/:templateId/edit): a form
// (the default tab) and the same document as JSON, both editing one document — switching tabs
// keeps the edits and every key the form does not show. Checked here for the basics and by the
// hub for the rest; the hub's problems are shown at the field they name and listed.
import { Alert, Anchor, Button, Group, List, Stack, Tabs, Text, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { CreateTemplateMutation, TemplateQuery, UpdateTemplateMutation } from '../api/templates';
import { mutationProblems } from '../lib/errors';
import { PageLoader } from '../shell/PageLoader';
import { NEW_TEMPLATE, parseTemplateDocument, templateDocument } from './document';
import { documentProblems, documentToForm, formToDocument, hubProblems, validateForm, type FieldErrors, type TemplateForm } from './form';
import { documentToInput } from './input';
import { TemplateFormFields } from './TemplateFormFields';

type View = 'form' | 'json';

function Editor({ id, initial }: { id: string | null; initial: Record<string, unknown> }) {
  const navigate = useNavigate();
  const [view, setView] = useState<View>('form');
  const [form, setForm] = useState<TemplateForm>(() => documentToForm(initial));
  const [text, setText] = useState(() => JSON.stringify(initial, null, 2));
  const [problems, setProblems] = useState<string[]>([]);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [createState, create] = useMutation(CreateTemplateMutation);
  const [updateState, update] = useMutation(UpdateTemplateMutation);
  const saving = createState.fetching || updateState.fetching;

  /** Switches tab carrying the document across; JSON that does not parse stays on its tab. */
  const switchTo = (next: View) => {
    if (next === view) return;
    if (next === 'json') {
      setText(JSON.stringify(formToDocument(form), null, 2));
      setView('json');
      return;
    }
    const parsed = parseTemplateDocument(text);
    if ('problems' in parsed) {
      setProblems(parsed.problems);
      return;
    }
    setProblems([]);
    setForm(documentToForm(parsed.document));
    setView('form');
  };

  const save = async () => {
    let document: Record<string, unknown>;
    if (view === 'form') {
      const errors = validateForm(form);
      if (Object.keys(errors).length > 0) {
        setFieldErrors(errors);
        setProblems(Object.values(errors));
        return;
      }
      document = formToDocument(form);
    } else {
      const parsed = parseTemplateDocument(text);
      if ('problems' in parsed) {
        setFieldErrors({});
        setProblems(parsed.problems);
        return;
      }
      document = parsed.document;
    }
    const converted = documentToInput(document);
    if ('problems' in converted) {
      const sorted = documentProblems(converted.problems);
      setFieldErrors(sorted.fields);
      setProblems(sorted.all);
      return;
    }
    setProblems([]);
    setFieldErrors({});
    const input = converted.input;
    const result = id ? await update({ id, input }) : await create({ input });
    const payload = result.data && ('createActionTemplate' in result.data ? result.data.createActionTemplate : result.data.updateActionTemplate);
    const refused = mutationProblems(result, payload);
    if (refused.length > 0) {
      const sorted = hubProblems(refused);
      setFieldErrors(sorted.fields);
      setProblems(sorted.all);
      return;
    }
    const saved = payload?.actionTemplate;
    if (saved) void navigate(`/templates/${encodeURIComponent(saved.templateId)}`);
  };

  return (
    <Stack gap="md" maw={900}>
      <Anchor component={Link} to={id ? `/templates/${encodeURIComponent(id)}` : '/templates'} size="sm">
        ← {id ? 'Template' : 'Templates'}
      </Anchor>
      <Title order={1} size="h2">
        {id ? 'Edit template' : 'New template'}
      </Title>
      <Tabs value={view} onChange={(v) => switchTo(v === 'json' ? 'json' : 'form')} keepMounted={false}>
        <Tabs.List aria-label="Edit as">
          <Tabs.Tab value="form">Form</Tabs.Tab>
          <Tabs.Tab value="json">JSON</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="form" pt="md">
          <TemplateFormFields form={form} errors={fieldErrors} onChange={setForm} />
        </Tabs.Panel>
        <Tabs.Panel value="json" pt="md">
          <Stack gap="xs">
            <Text size="sm" c="dimmed">
              Parameters are typed: string (with a validation regex), integer, boolean, enum (with values) or secret. Use {'{name}'} in command_template.
            </Text>
            <Textarea
              label="Template (JSON)"
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              autosize
              minRows={16}
              maxRows={40}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              spellCheck={false}
            />
          </Stack>
        </Tabs.Panel>
      </Tabs>
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
