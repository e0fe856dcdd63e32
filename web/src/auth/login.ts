// The REST login call: POST /api/v1/auth/login, turning the hub's answer into a Session or a
// LoginError whose message can be shown to the user as is.
import type { Session } from './session';

export const LOGIN_PATH = '/api/v1/auth/login';

export class LoginError extends Error {
  readonly code: string;
  readonly status: number | null;

  constructor(code: string, message: string, status: number | null) {
    super(message);
    this.name = 'LoginError';
    this.code = code;
    this.status = status;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The hub's error envelope: `{"error":{"code","message"}}`. */
function errorFromBody(body: unknown): { code: string; message: string } | null {
  if (!isRecord(body) || !isRecord(body.error)) return null;
  const { code, message } = body.error;
  if (typeof message !== 'string' || message === '') return null;
  return { code: typeof code === 'string' ? code : 'error', message };
}

function fallbackMessage(status: number): string {
  if (status === 401) return 'Invalid email or password.';
  if (status === 429) return 'Too many sign-in attempts. Wait a moment and try again.';
  return `Sign-in failed (HTTP ${status}).`;
}

export async function login(
  email: string,
  password: string,
  fetchImpl: typeof fetch = fetch,
  now: () => number = Date.now,
): Promise<Session> {
  let response: Response;
  try {
    response = await fetchImpl(LOGIN_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ email, password }),
    });
  } catch {
    throw new LoginError('network', 'Could not reach the hub. Check the connection and try again.', null);
  }

  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = null;
  }

  if (!response.ok) {
    const error = errorFromBody(body);
    throw new LoginError(error?.code ?? 'http', error?.message ?? fallbackMessage(response.status), response.status);
  }

  if (
    isRecord(body) &&
    typeof body.access_token === 'string' &&
    typeof body.refresh_token === 'string' &&
    typeof body.expires_in === 'number' &&
    (body.token_type === undefined || (typeof body.token_type === 'string' && body.token_type.toLowerCase() === 'bearer'))
  ) {
    return {
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      expiresAt: now() + body.expires_in * 1000,
    };
  }
  throw new LoginError('bad_response', 'The hub sent an unexpected sign-in response.', response.status);
}
