// GraphiQL's `fetch`: the signed-in session's bearer token on each request, renewed before it
// expires and once more when the hub answers 401.
import type { ClientAuth } from '../api/client';

/** `fetch` with the session's bearer token: renewed when due, and once more on a 401. */
export function authorisedFetch(auth: ClientAuth, onUnauthenticated: () => void): typeof fetch {
  return async (input, init) => {
    const send = () => {
      const headers = new Headers(init?.headers);
      const token = auth.token();
      if (token && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    };
    if (auth.expiresSoon()) await auth.refresh();
    const response = await send();
    if (response.status !== 401) return response;
    if (await auth.refresh()) return send();
    onUnauthenticated();
    return response;
  };
}
