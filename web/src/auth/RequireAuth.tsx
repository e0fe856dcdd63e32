// Route guard: renders its children only with a session; while a session kept by another tab (or
// before a reload) is being restored it shows a loader; else it redirects to /login remembering
// where the user was going (path, query and hash), so a pasted link opens after sign-in.
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { PageLoader } from '../shell/PageLoader';
import { useSession } from './sessionContext';

export function RequireAuth({ children }: { children: ReactNode }) {
  const { session, restoring } = useSession();
  const location = useLocation();
  if (restoring) return <PageLoader label="Restoring your session" />;
  if (!session) {
    return <Navigate to="/login" replace state={{ from: `${location.pathname}${location.search}${location.hash}` }} />;
  }
  return children;
}
