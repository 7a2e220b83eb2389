import { describe, expect, test } from 'bun:test';
import { loadConfigText } from '../../appliance/config/load';
import { pathForEnv } from '../../appliance/config/env';
import { Config } from '../../appliance/config/schema';
import { resolveSecrets } from '../../appliance/config/secrets';
import { scrub } from '../../appliance/shared/scrub';
import { isAppError } from '../../appliance/shared/errors';
import { parseYaml } from '../../appliance/config/validate';
import { configureLogs, createLogger } from '../../appliance/shared/log';

const fail = (text: string, env: Record<string, string> = {}): string => {
  try {
    loadConfigText(text, 'fovea.yaml', { env });
  } catch (e) {
    if (isAppError(e)) return e.message;
    throw e;
  }
  throw new Error('expected the config to be rejected');
};

describe('config load', () => {
  test('empty config gives the embedded defaults', () => {
    const { config } = loadConfigText('', 'fovea.yaml', { env: {} });
    expect([
      config.state_dir,
      config.api.host,
      config.api.port,
      config.api.max_upload_bytes,
      config.models.embed,
    ]).toEqual(['./data', '127.0.0.1', 8080, 10485760, 'mobilenetv2-embed@1']);
  });

  test('unknown keys and wrong types are reported with JSON path and YAML line', () => {
    expect(fail('api:\n  port: 99999\n  bogus: 1\nmodels:\n  providers: [gpu]\n')).toBe(
      [
        "fovea.yaml:3: /api/bogus: unknown key 'bogus'",
        'fovea.yaml:2: /api/port: expected integer to be less or equal to 65535 (got 99999)',
        'fovea.yaml:5: /models/providers/0: expected one of "tensorrt", "cuda", "cpu" (got "gpu")',
      ].join('\n'),
    );
  });

  test('a YAML syntax error names the line', () => {
    expect(fail('api:\n  port: 1\n  host: [oops\n')).toMatch(/^fovea\.yaml:\d+: \/: /);
  });

  test('FOVEA_* variables override keys, typed by the schema', () => {
    const { config, warnings } = loadConfigText('api:\n  port: 1\n', 'f', {
      env: {
        FOVEA_API_PORT: '9000',
        FOVEA_API_MAX_UPLOAD_BYTES: '2048',
        FOVEA_MODELS_PROVIDERS: 'cpu',
        FOVEA_API_AUTH: 'false',
        FOVEA_TYPO: 'x',
      },
    });
    expect([config.api.port, config.api.max_upload_bytes, config.models.providers, config.api.auth, warnings]).toEqual([
      9000,
      2048,
      ['cpu'],
      false,
      ['environment variable FOVEA_TYPO names no config key; ignored'],
    ]);
  });

  test('a bad FOVEA_* value is an error naming the variable', () => {
    expect(fail('', { FOVEA_API_PORT: 'eighty' })).toBe("FOVEA_API_PORT: 'eighty' is not a valid integer");
  });

  test('env names map to keys that contain underscores', () => {
    expect([
      pathForEnv(Config, 'STATE_DIR'),
      pathForEnv(Config, 'API_RATE_LIMIT_PER_MINUTE'),
      pathForEnv(Config, 'API_NOPE'),
    ]).toEqual([['state_dir'], ['api', 'rate_limit_per_minute'], null]);
  });
});

describe('secrets', () => {
  test('env, file and systemd credential placeholders resolve and are scrubbed from logs', () => {
    const files: Record<string, string> = { '/run/s/tok': 'file-secret-1\n', '/creds/mqtt': 'cred-secret-2' };
    const out = resolveSecrets(
      { a: 'x-${env:TOKEN}-y', b: '${file:/run/s/tok}', c: ['${cred:mqtt}'] },
      {
        env: { TOKEN: 'env-secret-0', CREDENTIALS_DIRECTORY: '/creds' },
        readFile: (p) => {
          if (!(p in files)) throw new Error('nope');
          return files[p]!;
        },
      },
    );
    expect(out).toEqual({ a: 'x-env-secret-0-y', b: 'file-secret-1', c: ['cred-secret-2'] });
    expect(scrub('connect with env-secret-0 and cred-secret-2 to rtsp://admin:pw@cam/x')).toBe(
      'connect with *** and *** to rtsp://***@cam/x',
    );
  });

  test('a missing variable names the config path', () => {
    expect(() => resolveSecrets({ mqtt: { password: '${env:NOT_SET}' } }, { env: {}, readFile: () => '' })).toThrow(
      '/mqtt/password: environment variable NOT_SET is not set',
    );
  });
});

describe('parseYaml refuses what would load as nonsense', () => {
  test('a list as a key, an alias to a later anchor, an alias inside its own anchor: each with file and line when known', () => {
    const msg = (text: string) => {
      try {
        parseYaml(text, 'f.yaml');
        return 'loaded';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect([msg('a: 1\n? [x, y]\n: 2\n'), msg('a: *later\nb: &later 1\n'), msg('a: &loop [1, *loop]\n')]).toEqual([
      'f.yaml:2: /: a mapping key must be a plain value (not a list, a mapping or binary)',
      expect.stringMatching(/^f\.yaml: \/: .*alias/i),
      'f.yaml: /: a YAML alias refers to the node that contains it (a cycle)',
    ]);
  });
});

describe('logs', () => {
  test('a 64-bit key in a log field is written as its decimal text, not a crash', () => {
    const lines: string[] = [];
    configureLogs({ sink: (l) => lines.push(l) });
    try {
      // error: written at every level (other tests set the level for the whole run).
      createLogger({ t: 1 }).error('index', { want: { maxKey: 2n ** 63n - 1n, keySum: 5n } });
    } finally {
      configureLogs({ sink: (l) => process.stdout.write(`${l}\n`) });
    }
    expect(JSON.parse(lines[0]!).want).toEqual({ maxKey: '9223372036854775807', keySum: '5' });
  });
});
