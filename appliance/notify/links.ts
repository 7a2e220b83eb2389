/**
 * @module The thumbnail's address in a push. A browser shows a notification's picture by fetching it
 * itself, without the dashboard's credentials (they live in the page, not in a cookie), so the
 * address carries its own: an expiry and an HMAC of the image and the expiry, under a key derived
 * from the box's secret. It opens that one thumbnail until it expires (the push's time to live and
 * an hour), nothing else. Pushes are end-to-end encrypted: only the browser sees the address.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export class ThumbLinks {
  private readonly key: Buffer;

  /** `lifeS`: how long a link opens its thumbnail. */
  constructor(
    boxSecret: Uint8Array,
    private readonly lifeS: number,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', boxSecret, new Uint8Array(0), 'fovea push thumbnail links', 32));
  }

  private sig(image: string, exp: number): Buffer {
    return createHmac('sha256', this.key).update(`${image}\n${exp}`).digest();
  }

  /** The link's path under the dashboard's base, made at `now` (epoch ms). */
  path(image: string, now: number): string {
    const exp = Math.floor(now / 1000) + this.lifeS;
    return `api/notify/thumbnail/${encodeURIComponent(image)}?exp=${exp}&sig=${this.sig(image, exp).toString('base64url')}`;
  }

  /** Does the link open `image` at `now`? */
  opens(image: string, exp: number, sig: string, now: number): boolean {
    if (!Number.isSafeInteger(exp) || exp * 1000 <= now) return false;
    const want = this.sig(image, exp);
    const got = Buffer.from(sig, 'base64url');
    return got.length === want.length && timingSafeEqual(got, want);
  }
}
