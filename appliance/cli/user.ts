/**
 * @module `fovea user add|list|role|remove|reset-password`: users of the box, managed on the box
 * itself (works while the appliance runs: users are a file it re-reads). There is no mail on a box,
 * so a password is never typed on a command line: `add` and `reset-password` print a one-time token,
 * valid one hour, that sets it through POST /api/auth/reset.
 */
import type { Command } from './args';
import { CONFIG_OPTION } from './args';
import { print, setup } from './context';
import { Users } from '../auth/users';
import { isRole, ROLES } from '../auth/roles';
import { pathsOf } from '../config/paths';
import { AppError } from '../shared/errors';

const resetHint = (token: string) =>
  `${token}\n(one-time, valid 1 h) set the password with:\n  curl -X POST http://127.0.0.1:8080/api/auth/reset -d token=${token} -d password=…`;

export const user: Command = {
  name: 'user',
  summary: 'add, list, change or remove users; print a password reset token',
  usage: `Usage: fovea user add NAME [--role viewer|operator|admin] [--config FILE]
       fovea user list [--config FILE]
       fovea user role NAME ROLE [--config FILE]
       fovea user remove NAME [--config FILE]
       fovea user reset-password NAME [--config FILE]

add creates the user with no password and prints a one-time token (valid 1 h) that sets it via
POST /api/auth/reset; reset-password prints a new one (and the reset ends the user's sessions).
Sessions of a user whose role changes end too. Default role: viewer.`,
  options: { ...CONFIG_OPTION, role: { type: 'string', short: 'r' } },
  async run(values, [action, name, arg]) {
    const { config } = setup(values);
    const users = new Users(pathsOf(config).users);
    const role = (values.role as string | undefined) ?? arg ?? 'viewer';
    if (action === 'list') {
      for (const u of users.list())
        print(`${u.name}\t${u.role}\t${u.password_hash ? 'password set' : 'no password yet'}\t${u.created_at}`);
      return 0;
    }
    if (!name) throw new AppError('bad_request', user.usage);
    if ((action === 'add' || action === 'role') && !isRole(role))
      throw new AppError('bad_request', `role must be one of ${ROLES.join(', ')}`);
    if (action === 'add') {
      await users.create(name, role as (typeof ROLES)[number], null);
      print(resetHint(await users.issueReset(name)));
      return 0;
    }
    if (action === 'reset-password') {
      print(resetHint(await users.issueReset(name)));
      return 0;
    }
    if (action === 'role') {
      await users.setRole(name, role as (typeof ROLES)[number]);
      print(`${name}: ${role}`);
      return 0;
    }
    if (action === 'remove') {
      if (!(await users.remove(name))) throw new AppError('not_found', `no user named '${name}'`);
      print(`removed ${name}`);
      return 0;
    }
    throw new AppError('bad_request', user.usage);
  },
};
