/**
 * @module `fovea watch`: follow /ws/analysis with the reference client, one JSON message per line
 * (resuming after drops), and `fovea token`: sign an HS256 JWT with the configured secret.
 */
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { print, setup } from './context';
import { FoveaClient } from '../publish/ws-client';
import { signHs256 } from '../auth/jwt';
import { AppError } from '../shared/errors';
import { urlHost } from '../shared/url';

const list = (v: unknown) =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

export const watch: Command = {
  name: 'watch',
  summary: 'print live events (and frames) from an appliance, resuming after drops',
  usage: `Usage: fovea watch [--url WS_URL] [--since EVENT_ID] [--streams a,b] [--events enter,leave] [--config FILE]

Connects to WS_URL (default: this box's API, ws://<api.host>:<api.port>/ws/analysis) with the
token in FOVEA_TOKEN (an API key or a JWT; never on the command line, where ps shows it), and
prints each message as one JSON line. On a drop it reconnects after 1, 2, 5, ... 60 s and resumes
after the last event printed. Connection states go to stderr. Stops on Ctrl-C.`,
  options: {
    ...CONFIG_OPTION,
    url: { type: 'string' },
    since: { type: 'string' },
    streams: { type: 'string' },
    events: { type: 'string' },
  },
  async run(values) {
    const { config } = setup(values);
    const url = (values.url as string | undefined) ?? `ws://${urlHost(config.api.host)}:${config.api.port}/ws/analysis`;
    const client = new FoveaClient({
      url,
      token: process.env.FOVEA_TOKEN,
      since: (values.since as string | undefined) ?? null,
      streams: list(values.streams),
      events: list(values.events),
      onMessage: (m) => print(JSON.stringify(m)),
      onControl: (m) => console.error(JSON.stringify(m)),
      onState: (s) => console.error(JSON.stringify(s)),
    }).start();
    await new Promise<void>((done) =>
      process.once('SIGINT', () => {
        client.close();
        done();
      }),
    );
    return 0;
  },
};

export const token: Command = {
  name: 'token',
  summary: 'sign an HS256 JWT for a subscriber with the configured secret',
  usage: `Usage: fovea token --sub NAME [--ttl SECONDS] [--scope "a b"] [--config FILE]

Prints a JWT signed with api.jwt.hs256_secret, for audience api.jwt.audience, valid for --ttl
seconds (default 3600). Tokens are usually issued by your identity provider; this is for tests
and small sites.`,
  options: { ...CONFIG_OPTION, sub: { type: 'string' }, ttl: { type: 'string' }, scope: { type: 'string' } },
  async run(values) {
    const { config } = setup(values);
    const jwt = config.api.jwt;
    if (!jwt.hs256_secret) throw new AppError('bad_request', 'no api.jwt.hs256_secret is configured');
    const sub = values.sub as string | undefined;
    if (!sub) throw new AppError('bad_request', `token needs --sub NAME\n\n${token.usage}`);
    const ttl = Number(values.ttl ?? 3600);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 366 * 86400)
      throw new AppError('bad_request', '--ttl must be a whole number of seconds, at most a year');
    print(
      await signHs256(
        jwt.hs256_secret,
        jwt,
        sub,
        ttl,
        ((values.scope as string | undefined) ?? '').split(' ').filter(Boolean),
      ),
    );
    return 0;
  },
};
