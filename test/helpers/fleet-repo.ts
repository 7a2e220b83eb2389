/**
 * @module A fleet repo for tests: a bare Git repo on disk as the remote (what boxes pull from) and
 * a working clone to commit and push from, with the real `git` CLI. Commits can be SSH-signed
 * with a key made by ssh-keygen.
 */
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

async function git(cwd: string, ...args: string[]): Promise<string> {
  const p = Bun.spawn(['git', ...args], {
    cwd,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'ops',
      GIT_AUTHOR_EMAIL: 'ops@example.com',
      GIT_COMMITTER_NAME: 'ops',
      GIT_COMMITTER_EMAIL: 'ops@example.com',
    },
  });
  const [out, err, code] = [await new Response(p.stdout).text(), await new Response(p.stderr).text(), await p.exited];
  if (code !== 0) throw new Error(`git ${args.join(' ')}: ${err}`);
  return out.trim();
}

export interface FleetRepo {
  /** The bare remote: the URL boxes are given. */
  remote: string;
  work: string;
  /** Write files (text and bytes as they are, other values as YAML), commit them all and push; returns the commit SHA. */
  commit(
    message: string,
    files: Record<string, unknown>,
    opts?: { remove?: string[]; sign?: string; branch?: string },
  ): Promise<string>;
  git(...args: string[]): Promise<string>;
}

export async function fleetRepo(dir: string): Promise<FleetRepo> {
  const remote = join(dir, 'fleet.git');
  const work = join(dir, 'fleet-work');
  await mkdir(dir, { recursive: true });
  await git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  await git(dir, 'init', '--quiet', '--initial-branch=main', work);
  await git(work, 'remote', 'add', 'origin', remote);
  return {
    remote,
    work,
    git: (...args) => git(work, ...args),
    async commit(message, files, opts = {}) {
      const branch = opts.branch ?? 'main';
      for (const [path, v] of Object.entries(files)) {
        await mkdir(dirname(join(work, path)), { recursive: true });
        await writeFile(join(work, path), typeof v === 'string' || v instanceof Uint8Array ? v : stringify(v));
      }
      for (const path of opts.remove ?? []) await rm(join(work, path), { force: true });
      await git(work, 'add', '-A');
      const sign = opts.sign
        ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${opts.sign}`, 'commit', '-S']
        : ['commit'];
      await git(work, ...sign, '--quiet', '--allow-empty', '-m', message);
      await git(work, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`);
      return git(work, 'rev-parse', 'HEAD');
    },
  };
}

/** An SSH signing key and git's allowed-signers file naming it. */
export async function signingKey(dir: string, name = 'ops'): Promise<{ key: string; allowedSigners: string }> {
  const key = join(dir, `${name}-key`);
  const p = Bun.spawn(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key], {
    stdout: 'ignore',
    stderr: 'pipe',
  });
  if ((await p.exited) !== 0) throw new Error(`ssh-keygen: ${await new Response(p.stderr).text()}`);
  const allowedSigners = join(dir, `${name}-allowed_signers`);
  await writeFile(allowedSigners, `ops@example.com ${(await Bun.file(`${key}.pub`).text()).trim()}\n`);
  return { key, allowedSigners };
}
