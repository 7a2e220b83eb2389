/**
 * Provisioning for real: Debian's ansible-playbook runs site.yml against a throwaway Debian root
 * made by debootstrap, over the chroot connection. It installs the freshly built binary (checked by
 * sha256), config, models and the systemd unit; the binary started from that tree as the service
 * user answers /health; a second run changes nothing; ansible-lint and systemd-analyze verify pass.
 * Needs root (debootstrap, chroot, mounting /proc) and Debian's package mirror.
 */
import { expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { copyFile, mkdir, readlink, writeFile } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import { SHARED, tempDir } from '../helpers/fixtures';
import { waitForLine } from '../helpers/process';

const root = join(import.meta.dir, '../..');

async function run(
  cmd: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(cmd, {
    cwd: opts.cwd ?? root,
    env: { ...(process.env as Record<string, string>), ...opts.env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
  return { code: await p.exited, out: out + err };
}
const ok = async (cmd: string[], opts?: Parameters<typeof run>[1]) => {
  const r = await run(cmd, opts);
  if (r.code !== 0) throw new Error(`${cmd.join(' ')} exited ${r.code}:\n${r.out.slice(-4000)}`);
  return r.out;
};
const recap = (out: string) =>
  /ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(out)!.slice(1).map(Number);

test('ansible provisions a debootstrapped Debian root; the installed binary answers /health; a second run changes nothing', async () => {
  await using work = await tempDir('fovea-provision-');
  const tree = join(work.path, 'root');
  const bin = join(work.path, 'fovea');
  // The build (CPU) and debootstrap (mostly the mirror) go side by side.
  await Promise.all([
    ok([process.execPath, 'scripts/build.ts', bin]),
    ok(['debootstrap', '--variant=minbase', '--include=systemd,python3', 'bookworm', tree]),
  ]);
  const sha = createHash('sha256')
    .update(await Bun.file(bin).bytes())
    .digest('hex');
  // A booted box has /proc; the binary reads itself through /proc/self/exe.
  await ok(['mount', '-t', 'proc', 'proc', join(tree, 'proc')]);
  let server: ReturnType<typeof Bun.spawn> | null = null;
  try {
    const inventory = join(work.path, 'inventory.ini');
    await writeFile(
      inventory,
      `[fovea]\n${tree} ansible_connection=community.general.chroot fovea_device_id=chroot-box\n`,
    );
    // A secret as a credential, referenced by the config: what a vault would hand the role.
    const secret = 'provision-S3cret-41';
    const vars = JSON.stringify({
      fovea_credentials: { 'mqtt-password': secret },
      fovea_config: { mqtt: { password: '${cred:mqtt-password}' } },
    });
    const play = [
      'ansible-playbook',
      '-i',
      inventory,
      'site.yml',
      '-e',
      `fovea_binary_src=${bin} fovea_binary_sha256=${sha} fovea_start=false fovea_models_src=${join(SHARED, 'models')}`,
      '-e',
      vars,
    ];
    const env = { ANSIBLE_FORCE_COLOR: '0', ANSIBLE_NOCOLOR: '1' };
    const firstOut = await ok(play, { cwd: join(root, 'ansible'), env });
    const secondOut = await ok(play, { cwd: join(root, 'ansible'), env });
    const [first, second] = [recap(firstOut), recap(secondOut)];
    expect([first[1]!, first[3], second[1], second[3]]).toEqual([expect.above(5), 0, 0, 0]);
    const cred = join(tree, 'etc/fovea/credentials/mqtt-password');
    expect([
      (firstOut + secondOut).includes(secret),
      readFileSync(cred, 'utf8'),
      statSync(cred).mode & 0o777,
      readFileSync(join(tree, 'etc/fovea/fovea.yaml'), 'utf8').includes(secret),
    ]).toEqual([false, secret, 0o600, false]);
    expect(readFileSync(join(tree, 'etc/systemd/system/fovea.service.d/credentials.conf'), 'utf8')).toContain(
      'LoadCredential=mqtt-password:/etc/fovea/credentials/mqtt-password',
    );

    const installed = createHash('sha256')
      .update(await Bun.file(join(tree, 'usr/local/bin/fovea')).bytes())
      .digest('hex');
    expect(installed).toBe(sha);
    // Enabled: the link systemd would follow at boot (absolute inside the tree).
    expect(await readlink(join(tree, 'etc/systemd/system/multi-user.target.wants/fovea.service'))).toBe(
      '/etc/systemd/system/fovea.service',
    );
    await ok(['systemd-analyze', 'verify', `--root=${tree}`, '/etc/systemd/system/fovea.service']);
    await ok(['ansible-lint', 'site.yml'], { cwd: join(root, 'ansible'), env: { NO_COLOR: '1' } });

    // The unit's command, in the tree, as the unit's user, on a free port, with its credentials
    // where systemd puts them (a copy the service user may read, as LoadCredential= makes).
    const run = join(tree, 'run/credentials/fovea.service');
    await mkdir(run, { recursive: true });
    await copyFile(cred, join(run, 'mqtt-password'));
    await ok(['chroot', tree, 'chown', '-R', 'fovea:fovea', '/run/credentials/fovea.service']);
    server = Bun.spawn(
      [
        'chroot',
        '--userspec=fovea:fovea',
        tree,
        'env',
        'FOVEA_API_PORT=0',
        'CACHE_DIRECTORY=/var/cache/fovea',
        'HOME=/var/lib/fovea',
        'CREDENTIALS_DIRECTORY=/run/credentials/fovea.service',
        '/usr/local/bin/fovea',
        'serve',
        '--config',
        '/etc/fovea/fovea.yaml',
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    );
    const url = await waitForLine(server.stdout as ReadableStream<Uint8Array>, /"url":"(http:\/\/[^"]+)"/, 60_000);
    const health = (await (await fetch(`${url}/health`)).json()) as {
      status: string;
      checks: { models: { detail: { provider: string } } };
    };
    expect([health.status, health.checks.models.detail.provider]).toEqual(['ok', 'cpu']);
  } finally {
    server?.kill('SIGTERM');
    await server?.exited;
    await run(['umount', join(tree, 'proc')]);
  }
}, 900_000);
