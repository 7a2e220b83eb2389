/**
 * @module `fovea apikey create|list|revoke`: manage API keys. The key is printed once, on create;
 * only its hash is kept. Works while the appliance runs (keys are a file it re-reads).
 */
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { print, setup } from './context';
import { KeyFile } from '../auth/keys';
import { Users } from '../auth/users';
import { SCOPES, unknownScopes } from '../auth/roles';
import { pathsOf } from '../config/paths';
import { AppError } from '../shared/errors';

export const apikey: Command = {
  name: 'apikey',
  summary: 'create, list or revoke API keys',
  usage: `Usage: fovea apikey create --name NAME [--user USER] [--scope "a:read b:write"] [--config FILE]
       fovea apikey list [--config FILE]
       fovea apikey revoke NAME_OR_ID [--config FILE]

create prints the new key once; store it, it cannot be shown again. With --user the key belongs
to that user (its role bounds the key); without, it acts as an admin. --scope narrows it, and is
how a key gets images:import (a bulk import not held to the per-minute limit), which no role has alone.`,
  options: {
    ...CONFIG_OPTION,
    name: { type: 'string', short: 'n' },
    user: { type: 'string', short: 'u' },
    scope: { type: 'string' },
  },
  async run(values, [action, target]) {
    const { config } = setup(values);
    const keys = new KeyFile(pathsOf(config).keys);
    if (action === 'create') {
      const name = values.name as string | undefined;
      if (!name || !/^[\w.@-]{1,64}$/.test(name))
        throw new AppError('bad_request', 'apikey create needs --name NAME (letters, digits, . _ - @; up to 64)');
      const owner = values.user ? new Users(pathsOf(config).users).byName(values.user as string) : null;
      if (values.user && !owner) throw new AppError('not_found', `no user named '${values.user as string}'`);
      const scopes = typeof values.scope === 'string' ? values.scope.split(/[\s,]+/).filter(Boolean) : null;
      const bad = unknownScopes(scopes ?? []);
      if (bad.length)
        throw new AppError('bad_request', `unknown scopes: ${bad.join(', ')} (known: ${SCOPES.join(' ')})`);
      print(await keys.create(name, { user_id: owner?.id ?? null, scopes }));
      return 0;
    }
    if (action === 'list') {
      for (const k of keys.list())
        print(`${k.id}\t${k.name}\t${k.created_at}\t${k.revoked_at ? `revoked ${k.revoked_at}` : 'active'}`);
      return 0;
    }
    if (action === 'revoke' && target) {
      if (!(await keys.revoke(target)))
        throw new AppError('not_found', `no active API key named or with id '${target}'`);
      print(`revoked ${target}`);
      return 0;
    }
    throw new AppError('bad_request', apikey.usage);
  },
};
