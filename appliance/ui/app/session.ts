/**
 * @module Who is signed in, for the whole app: the identity and its scopes, so pages hide what the
 * role cannot do (the server enforces it anyway).
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from './api';

export interface Session {
  me: Me;
  /** False when the box asks for no credential (api.auth off): everything is allowed. */
  authRequired: boolean;
  /** Not signed in, looking at the public analytics. */
  anonymous?: boolean;
}

export const SessionContext = createContext<Session>({
  me: { subject: null, kind: null, role: null, scopes: [] },
  authRequired: true,
});

export function useSession() {
  const s = useContext(SessionContext);
  return { ...s, can: (scope: string) => !s.authRequired || s.me.scopes.includes(scope) };
}
