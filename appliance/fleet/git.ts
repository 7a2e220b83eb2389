/**
 * @module The fleet repo through the `git` CLI (https or ssh, with the box's own credentials and
 * known_hosts): a bare mirror kept under the state directory, fetched on demand. A revision is
 * exported once into a directory of its own (complete or not at all, never changed after), so the
 * running config never changes under the appliance's feet and a rollback needs no network.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { AppError } from '../shared/errors';

export class Git {
  constructor(
    private readonly url: string,
    private readonly mirror: string,
    private readonly timeoutMs = 60_000,
  ) {}

  private async run(args: string[], cwd?: string): Promise<string> {
    const r = await this.exec(args, cwd);
    if (r.code !== 0)
      throw new AppError(
        'unavailable',
        `git ${args.find((a) => !a.startsWith('-') && !a.includes('=') && a !== this.mirror)}: ${r.err.trim().split('\n').at(-1) || `exit ${r.code}`}`,
      );
    return r.out.trim();
  }

  private async exec(args: string[], cwd?: string): Promise<{ out: string; err: string; code: number }> {
    const p = Bun.spawn(['git', ...args], {
      cwd,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
      },
      timeout: this.timeoutMs,
    });
    const [out, err, code] = [await new Response(p.stdout).text(), await new Response(p.stderr).text(), await p.exited];
    return { out, err, code };
  }

  /** Clone the mirror the first time, then fetch every branch and tag (forced: a rewritten branch is followed). */
  async fetch(): Promise<void> {
    if (!existsSync(this.mirror)) {
      const tmp = `${this.mirror}.partial`;
      await rm(tmp, { recursive: true, force: true });
      await this.run(['clone', '--bare', '--quiet', this.url, tmp]);
      await rename(tmp, this.mirror);
      return;
    }
    await this.run([
      '--git-dir',
      this.mirror,
      'fetch',
      '--quiet',
      '--prune',
      '--force',
      this.url,
      '+refs/heads/*:refs/heads/*',
      '+refs/tags/*:refs/tags/*',
    ]);
  }

  /** The commit a branch or tag points at. */
  resolve(ref: string): Promise<string> {
    return this.run(['--git-dir', this.mirror, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => {
      throw new AppError('unavailable', `the fleet repo has no branch or tag '${ref}'`);
    });
  }

  /** The files of a commit in `dest` (made once; a complete snapshot or none). */
  async export(sha: string, dest: string): Promise<void> {
    if (existsSync(dest)) return;
    const tmp = `${dest}.partial`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const archive = Bun.spawn(['git', '--git-dir', this.mirror, 'archive', '--format=tar', sha], {
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const tar = Bun.spawn(['tar', '-x', '-C', tmp], { stdin: archive.stdout, stderr: 'pipe' });
    const [a, t] = [await archive.exited, await tar.exited];
    if (a !== 0 || t !== 0)
      throw new AppError(
        'unavailable',
        `could not export ${sha.slice(0, 12)}: ${(await new Response(archive.stderr).text()).trim() || (await new Response(tar.stderr).text()).trim()}`,
      );
    await rename(tmp, dest);
  }

  /**
   * Why `sha` is not signed by a key of `allowedSigners` (git's SSH signatures, checked by
   * `git verify-commit`), or null when it is.
   */
  async unsigned(sha: string, allowedSigners: string): Promise<string | null> {
    const r = await this.exec([
      '-c',
      'gpg.format=ssh',
      '-c',
      `gpg.ssh.allowedSignersFile=${allowedSigners}`,
      '--git-dir',
      this.mirror,
      'verify-commit',
      '--raw',
      sha,
    ]);
    if (r.code === 0) return null;
    const why = r.err
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('[GNUPG:]'))
      .at(-1);
    return why || 'no signature';
  }

  /** The commit's subject line, for status and history. */
  subject(sha: string): Promise<string> {
    return this.run(['--git-dir', this.mirror, 'log', '-1', '--format=%s', sha]);
  }
}
