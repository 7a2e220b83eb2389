/**
 * @module The dashboard: signs the person in (or offers the first admin's sign-up on an empty box),
 * then draws the page the path names. Served by the appliance from its own binary; no CDN.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { authStatus, hasStoredSession, me, onSignedOut, refresh, type Me } from './api';
import { Layout } from './components/layout';
import { Live } from './pages/live';
import { StreamLive } from './pages/stream-live';
import { Login } from './pages/login';
import { Review } from './pages/review';
import { ReviewItemPage } from './pages/review-item';
import { Events } from './pages/events';
import { Recordings } from './pages/recordings';
import { EventDetail } from './pages/event';
import { Explore } from './pages/explore';
import { Streams } from './pages/streams';
import { System } from './pages/system';
import { NewRun, Runs } from './pages/runs';
import { RunPage } from './pages/run';
import { Analytics } from './pages/analytics';
import { SessionEditor, Sessions } from './pages/sessions';
import { Notifications } from './pages/notifications';
import { Classifiers } from './pages/classifiers';
import 'uplot/dist/uPlot.min.css';
import { currentPath, Link, navigate, useRoute } from './router';
import { SessionContext, type Session } from './session';
import './style.css';

type State =
  | { kind: 'loading' }
  | { kind: 'signin'; firstUser: boolean }
  | { kind: 'ready'; session: Session }
  | { kind: 'down'; error: string };

const NOBODY: Me = { subject: null, kind: null, role: null, scopes: [] };

async function start(): Promise<State> {
  const status = await authStatus();
  if (!status.auth_required) return { kind: 'ready', session: { me: await me(), authRequired: false } };
  // Public analytics: anyone may look at the analytics pages without signing in.
  const open: State = { kind: 'ready', session: { me: NOBODY, authRequired: true, anonymous: true } };
  const openHere = status.public_analytics && currentPath().startsWith('/analytics');
  if (status.first_user) return openHere ? open : { kind: 'signin', firstUser: true };
  if (!hasStoredSession()) return openHere ? open : { kind: 'signin', firstUser: false };
  if (localStorage.getItem('fovea.refresh') && !(await refresh()))
    return openHere ? open : { kind: 'signin', firstUser: false };
  const who: Me = await me().catch(() => NOBODY);
  if (who.subject) return { kind: 'ready', session: { me: who, authRequired: true } };
  return openHere ? open : { kind: 'signin', firstUser: false };
}

function Pages() {
  const { page, params } = useRoute();
  useEffect(() => {
    if (page === '/' || page === '/login') navigate('/live', true);
  }, [page]);
  switch (page) {
    case '/live':
      return <Live />;
    case '/live/:id':
      return <StreamLive id={params.id!} />;
    case '/review':
      return <Review />;
    case '/review/:id':
      return <ReviewItemPage id={params.id!} />;
    case '/events':
      return <Events />;
    case '/events/:id':
      return <EventDetail id={params.id!} />;
    case '/recordings/:id':
      return <Recordings id={params.id!} />;
    case '/explore':
      return <Explore />;
    case '/streams':
    case '/streams/:id':
      return <Streams id={params.id ?? null} />;
    case '/runs':
      return <Runs />;
    case '/runs/new':
      return <NewRun />;
    case '/runs/:id':
      return <RunPage id={params.id!} />;
    case '/analytics':
      return <Analytics />;
    case '/analytics/sessions':
      return <Sessions />;
    case '/analytics/sessions/new':
      return <SessionEditor id={null} />;
    case '/analytics/sessions/:id':
      return <SessionEditor id={params.id!} />;
    case '/system':
      return <System />;
    case '/notifications':
      return <Notifications />;
    case '/classifiers':
      return <Classifiers />;
    default:
      return <NotFound />;
  }
}

/** A mistyped address: the app's own page, with the menu, not the API's JSON. */
function NotFound() {
  return (
    <div class="not-found">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{currentPath()}</code>. <Link to="/live">Go to Live</Link>, or pick a page from the
        menu.
      </p>
    </div>
  );
}

function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const load = () =>
    start().then(setState, (e: Error) =>
      setState({ kind: 'down', error: `the appliance does not answer: ${e.message}` }),
    );
  useEffect(() => {
    void load();
    return onSignedOut(() => setState({ kind: 'signin', firstUser: false }));
  }, []);
  if (state.kind === 'loading') return <p class="center muted">Loading…</p>;
  if (state.kind === 'down') return <p class="center error">{state.error}</p>;
  if (state.kind === 'signin') return <Login firstUser={state.firstUser} onSignedIn={() => void load()} />;
  return (
    <SessionContext.Provider value={state.session}>
      <Layout>
        <Pages />
      </Layout>
    </SessionContext.Provider>
  );
}

render(<App />, document.getElementById('app')!);
