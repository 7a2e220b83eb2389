import { describe, expect, test } from 'bun:test';
import { SignJWT, exportSPKI, generateKeyPair } from 'jose';
import { JwtVerifier, looksLikeJwt, signHs256 } from '../../appliance/auth/jwt';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const base = {
  hs256_secret: SECRET,
  eddsa_public_keys: [] as string[],
  audience: 'fovea',
  issuer: '',
  clock_tolerance_s: 0,
};
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

async function rejection(v: JwtVerifier, token: string): Promise<string> {
  try {
    await v.verify(token);
    return 'accepted';
  } catch (e) {
    return (e as Error).message;
  }
}

describe('JWT verification', () => {
  test('HS256: a valid token is accepted with its subject and scopes', async () => {
    const v = (await JwtVerifier.create(base))!;
    const tok = await signHs256(SECRET, base, 'dashboard', 60, ['events:read']);
    expect(looksLikeJwt(tok)).toBe(true);
    expect(await v.verify(tok)).toEqual({ subject: 'dashboard', scopes: ['events:read'] });
  });

  test('expired, not yet valid, wrong audience, wrong key, no exp and alg none are refused with the reason', async () => {
    const v = (await JwtVerifier.create(base))!;
    const key = new TextEncoder().encode(SECRET);
    const sign = (claims: Record<string, unknown>, k = key) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(k);
    const cases = {
      expired: await sign({ aud: 'fovea', exp: now() - 10 }),
      future: await sign({ aud: 'fovea', exp: now() + 60, nbf: now() + 30 }),
      audience: await sign({ aud: 'someone-else', exp: now() + 60 }),
      wrongKey: await sign(
        { aud: 'fovea', exp: now() + 60 },
        new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'),
      ),
      noExp: await sign({ aud: 'fovea' }),
      none: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ aud: 'fovea', exp: now() + 60, sub: 'x' })}.`,
      garbage: 'a.b.c',
    };
    const out: Record<string, string> = {};
    for (const [k, t] of Object.entries(cases)) out[k] = await rejection(v, t);
    expect(out).toEqual({
      expired: 'the token is not valid: expired',
      future: 'the token is not valid: not valid yet (nbf)',
      audience: 'the token is not valid: claim aud does not match',
      wrongKey: 'the token is not valid: signature does not verify with any configured key',
      noExp: 'the token is not valid: claim exp missing',
      none: 'the token is not valid: algorithm not allowed (HS256 and EdDSA only)',
      garbage: 'the token is not valid: malformed',
    });
  });

  test('EdDSA: tokens of any configured public key are accepted, others and HS256 are not', async () => {
    const a = await generateKeyPair('EdDSA', { extractable: true });
    const b = await generateKeyPair('EdDSA', { extractable: true });
    const c = await generateKeyPair('EdDSA', { extractable: true });
    const v = (await JwtVerifier.create({
      ...base,
      hs256_secret: '',
      eddsa_public_keys: [await exportSPKI(a.publicKey), await exportSPKI(b.publicKey)],
    }))!;
    const sign = (k: CryptoKey) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA' })
        .setSubject('agent')
        .setAudience('fovea')
        .setExpirationTime('1m')
        .sign(k);
    expect((await v.verify(await sign(b.privateKey))).subject).toBe('agent');
    expect(await rejection(v, await sign(c.privateKey))).toBe(
      'the token is not valid: signature does not verify with any configured key',
    );
    expect(await rejection(v, await signHs256(SECRET, base, 'x', 60))).toBe(
      'the token is not valid: algorithm not allowed (HS256 and EdDSA only)',
    );
  });

  test('configuration: no key means no verifier; a short secret or a bad PEM is a config error', async () => {
    expect(await JwtVerifier.create({ ...base, hs256_secret: '' })).toBeNull();
    await expect(JwtVerifier.create({ ...base, hs256_secret: 'short' })).rejects.toThrow('at least 32 bytes');
    await expect(JwtVerifier.create({ ...base, eddsa_public_keys: ['not a pem'] })).rejects.toThrow(
      '/api/jwt/eddsa_public_keys/0: not an Ed25519 public key',
    );
  });
});
