// The sign-in page: email + password form posting to the hub's REST login, storing the session
// (shared with the other tabs) and returning to the page that asked for it (default /overview).
import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { PageLoader } from '../shell/PageLoader';
import { login, LoginError } from './login';
import { useSession, useSessionStore } from './sessionContext';

interface FieldErrors {
  email?: string;
  password?: string;
}

function validate(email: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  if (email.trim() === '') errors.email = 'Email is required';
  else if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) errors.email = 'Enter a valid email address';
  if (password === '') errors.password = 'Password is required';
  return errors;
}

/** Only in-app paths are honoured as a post-login destination. */
function destinationFrom(state: unknown): string {
  if (typeof state === 'object' && state !== null && 'from' in state) {
    const from = state.from;
    if (typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') && !from.startsWith('/login')) {
      return from;
    }
  }
  return '/overview';
}

export default function LoginPage() {
  const store = useSessionStore();
  const { session, endReason, restoring } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  if (session && !submitting) return <Navigate to={destinationFrom(location.state)} replace />;
  if (restoring) return <PageLoader label="Restoring your session" />;

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const errors = validate(email, password);
    setFieldErrors(errors);
    setSubmitError(null);
    if (errors.email || errors.password) return;

    setSubmitting(true);
    try {
      const newSession = await login(email.trim(), password);
      store.start(newSession);
      void navigate(destinationFrom(location.state), { replace: true });
    } catch (error) {
      setSubmitError(error instanceof LoginError ? error.message : 'Sign-in failed unexpectedly.');
      setSubmitting(false);
    }
  };

  return (
    <Center component="main" mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={400}>
        <form onSubmit={(event) => void onSubmit(event)} noValidate aria-labelledby="login-title">
          <Stack gap="md">
            <div>
              <Title order={1} id="login-title" size="h2">
                Greenroom
              </Title>
              <Text c="dimmed" size="sm">
                Sign in to the fleet dashboard
              </Text>
            </div>

            {endReason === 'expired' && (
              <Alert color="yellow" variant="light" role="status" title="Session ended">
                Your session expired. Please sign in again.
              </Alert>
            )}

            <TextInput
              label="Email"
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.currentTarget.value)}
              error={fieldErrors.email}
              autoFocus
            />
            <PasswordInput
              label="Password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.currentTarget.value)}
              error={fieldErrors.password}
              // Mantine's PasswordInput does not set aria-invalid itself.
              aria-invalid={fieldErrors.password ? true : undefined}
              visibilityToggleButtonProps={{ 'aria-label': 'Toggle password visibility' }}
            />

            {submitError && (
              <Alert color="red" variant="light" role="alert" title="Sign-in failed" data-testid="login-error">
                {submitError}
              </Alert>
            )}

            <Button type="submit" fullWidth loading={submitting}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
