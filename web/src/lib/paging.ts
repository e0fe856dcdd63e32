// Cursor paging of the hub's connections (servers, executions, the audit log): where a view is —
// its page number (for people; 1-based) and the cursor it was reached by (`after` the previous
// page's last item, or `before` the next page's first) — kept in the URL, the window GraphQL is
// asked for, and the positions Next / Previous lead to. The first page is read without a cursor,
// so going back to it always shows the newest items.

/** Where a paged view is. */
export interface PagePosition {
  /** 1-based, for display ("page 3 of 12"). */
  page: number;
  after: string | null;
  before: string | null;
}

export const FIRST_PAGE: PagePosition = { page: 1, after: null, before: null };

/** A connection's `pageInfo` (the `PageInfoFields` fragment). */
export interface PageInfoLike {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor?: string | null;
  endCursor?: string | null;
}

/** The position the URL's `page` / `after` / `before` say (the first page when they say none). */
export function readPosition(params: URLSearchParams): PagePosition {
  const after = params.get('after');
  const before = params.get('before');
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  if (!after && !before) return FIRST_PAGE;
  return { page: page > 1 ? page : 2, after: before ? null : after, before: before || null };
}

/** Adds the position to search parameters (nothing for the first page). */
export function writePosition(params: URLSearchParams, position: PagePosition): URLSearchParams {
  if (position.page > 1 && (position.after || position.before)) {
    params.set('page', String(position.page));
    if (position.before) params.set('before', position.before);
    else if (position.after) params.set('after', position.after);
  }
  return params;
}

/** The connection arguments of a position: `first`/`after` forwards, `last`/`before` backwards. */
export function pageWindow(position: PagePosition, size: number): { first?: number; after?: string; last?: number; before?: string } {
  if (position.before) return { last: size, before: position.before };
  return position.after ? { first: size, after: position.after } : { first: size };
}

/** The page after this one, or null at the end. */
export function nextPosition(position: PagePosition, info: PageInfoLike): PagePosition | null {
  if (!info.endCursor || !info.hasNextPage) return null;
  return { page: position.page + 1, after: info.endCursor, before: null };
}

/** The page before this one (the first page read afresh), or null on the first. */
export function previousPosition(position: PagePosition, info: PageInfoLike): PagePosition | null {
  if (position.page <= 1 && !position.after && !position.before) return null;
  if (position.page <= 2 || !info.startCursor) return FIRST_PAGE;
  return { page: position.page - 1, after: null, before: info.startCursor };
}

/** How many pages `total` items make. */
export const pageCount = (total: number, size: number) => Math.max(1, Math.ceil(total / size));
