/**
 * @module JSON Web Token verification (jose): HS256 with a shared secret and EdDSA (Ed25519) with
 * configured public keys. Only those two algorithms are accepted (so `alg: none` and algorithm
 * confusion are refused); `exp`, `nbf` and `aud` are checked, `iss` when configured. Errors say
 * why without echoing the token.
 */
import { SignJWT, errors, importSPKI, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import { AppError } from '../shared/errors';

export interface JwtConfig {
  hs256_secret: string;
  eddsa_public_keys: string[];
  audience: string;
  issuer: string;
  clock_tolerance_s: number;
}
export interface TokenIdentity {
  subject: string;
  scopes: string[];
}

type Key = { alg: 'HS256'; key: Uint8Array } | { alg: 'EdDSA'; key: CryptoKey };

/** A JWT has three base64url segments; an API key has none of its dots. */
export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);

export class JwtVerifier {
  private constructor(
    private readonly keys: Key[],
    private readonly c: JwtConfig,
  ) {}

  /** Null when no key is configured (JWTs are then refused as unknown tokens). */
  static async create(c: JwtConfig): Promise<JwtVerifier | null> {
    const keys: Key[] = [];
    if (c.hs256_secret) {
      if (Buffer.byteLength(c.hs256_secret) < 32)
        throw new AppError('config_invalid', '/api/jwt/hs256_secret: must be at least 32 bytes (RFC 7518 §3.2)');
      keys.push({ alg: 'HS256', key: new TextEncoder().encode(c.hs256_secret) });
    }
    for (const [i, pem] of c.eddsa_public_keys.entries()) {
      try {
        keys.push({ alg: 'EdDSA', key: await importSPKI(pem, 'EdDSA') });
      } catch (e) {
        throw new AppError(
          'config_invalid',
          `/api/jwt/eddsa_public_keys/${i}: not an Ed25519 public key in PEM (SPKI)`,
          { cause: e },
        );
      }
    }
    return keys.length ? new JwtVerifier(keys, c) : null;
  }

  async verify(token: string): Promise<TokenIdentity> {
    let last: unknown = null;
    for (const k of this.keys) {
      try {
        const { payload } = await jwtVerify(token, k.key, {
          algorithms: [k.alg],
          audience: this.c.audience,
          issuer: this.c.issuer || undefined,
          clockTolerance: this.c.clock_tolerance_s,
          requiredClaims: ['exp'],
        });
        return identityOf(payload);
      } catch (e) {
        // Report the most telling failure: a key of the token's algorithm whose signature does not
        // match says more than the keys of another algorithm.
        if (last === null || !(e instanceof errors.JOSEAlgNotAllowed)) last = e;
        // Only a signature or algorithm mismatch may be another key's token; anything else is final.
        if (!(e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JOSEAlgNotAllowed)) break;
      }
    }
    throw new AppError('unauthorized', `the token is not valid: ${reasonOf(last)}`, {
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    });
  }
}

function identityOf(p: JWTPayload): TokenIdentity {
  const scope = typeof p.scope === 'string' ? p.scope.split(' ').filter(Boolean) : [];
  return { subject: p.sub ?? '', scopes: scope };
}

function reasonOf(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'expired';
  if (e instanceof errors.JWTClaimValidationFailed && e.claim === 'nbf') return 'not valid yet (nbf)';
  if (e instanceof errors.JWTClaimValidationFailed)
    return `claim ${e.claim} ${e.reason === 'check_failed' ? 'does not match' : e.reason}`;
  if (e instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed (HS256 and EdDSA only)';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify with any configured key';
  if (e instanceof errors.JWTInvalid || e instanceof errors.JWSInvalid) return 'malformed';
  return 'rejected';
}

/** An HS256 token for `subject` (the `fovea token` command and tests). */
export function signHs256(
  secret: string,
  c: { audience: string; issuer: string },
  subject: string,
  ttlS: number,
  scopes: string[] = [],
): Promise<string> {
  const jwt = new SignJWT({ ...(scopes.length ? { scope: scopes.join(' ') } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setAudience(c.audience)
    .setIssuedAt()
    .setExpirationTime(`${ttlS}s`);
  if (c.issuer) jwt.setIssuer(c.issuer);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** Claims of an access token this box issued: the user, and the role it had then. */
export interface AccessClaims {
  sub: string;
  name: string;
  role: string;
  iat: number;
}

const LOCAL_ISSUER = 'fovea-box';
const LOCAL_AUDIENCE = 'fovea-box-api';

/**
 * The box's own short-lived access tokens (POST /api/auth/login): HS256 with a random 256-bit
 * secret of this box (`<state>/auth-secret`, 0600, made at first start), its own issuer and
 * audience, so no token of an outside issuer can pass for one of these.
 */
export class AccessTokens {
  constructor(
    private readonly secret: Uint8Array,
    readonly ttlS: number,
  ) {}

  sign(u: { id: string; name: string; role: string }): Promise<string> {
    return new SignJWT({ name: u.name, role: u.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(u.id)
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlS}s`)
      .sign(this.secret);
  }

  /** The claims, or null when the token is not one of this box's (another issuer's JWT may still be valid). */
  async verify(token: string): Promise<AccessClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'],
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      return {
        sub: payload.sub!,
        name: String(payload.name ?? ''),
        role: String(payload.role ?? ''),
        iat: payload.iat!,
      };
    } catch (e) {
      if (e instanceof errors.JWTExpired)
        throw new AppError('unauthorized', 'the token is not valid: expired', {
          headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        });
      return null;
    }
  }
}
