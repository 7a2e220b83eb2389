/** @module Sign in (a user, or an API key); on an empty box, the first admin's sign-up. */
import { useState } from 'preact/hooks';
import { login, signup, useKey } from '../api';
import { ErrorLine } from '../components/ui';

export function Login(p: { firstUser: boolean; onSignedIn: () => void }) {
  const [mode, setMode] = useState<'user' | 'key'>('user');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      if (mode === 'key') await useKey(String(f.get('key')));
      else if (p.firstUser) {
        if (f.get('password') !== f.get('confirm')) throw new Error('the two passwords differ');
        await signup(String(f.get('username')), String(f.get('password')));
      } else await login(String(f.get('username')), String(f.get('password')));
      p.onSignedIn();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <form class="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">
          <span class="logo" aria-hidden="true" /> fovea
        </h1>
        {p.firstUser ? (
          <p class="hint">This box has no user yet. Create the first one: it becomes the admin.</p>
        ) : (
          <div class="tabs" role="tablist">
            <button type="button" role="tab" aria-selected={mode === 'user'} onClick={() => setMode('user')}>
              User
            </button>
            <button type="button" role="tab" aria-selected={mode === 'key'} onClick={() => setMode('key')}>
              API key
            </button>
          </div>
        )}
        {mode === 'user' ? (
          <>
            <label>
              User name
              <input name="username" autocomplete="username" required autofocus />
            </label>
            <label>
              Password
              <input
                name="password"
                type="password"
                autocomplete={p.firstUser ? 'new-password' : 'current-password'}
                required
                minLength={p.firstUser ? 10 : undefined}
              />
            </label>
            {p.firstUser && (
              <label>
                Password again
                <input name="confirm" type="password" autocomplete="new-password" required />
              </label>
            )}
          </>
        ) : (
          <label>
            API key
            <input name="key" autocomplete="off" required placeholder="fov_…" />
          </label>
        )}
        <ErrorLine error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {p.firstUser ? 'Create admin and sign in' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
