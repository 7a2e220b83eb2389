/**
 * @module The central bucket (the only importer of @aws-sdk): put with a SHA-256 checksum the server
 * verifies (x-amz-checksum-sha256; S3 and MinIO refuse a body that does not match), multipart for
 * large files (each part with its own checksum), head, get, list, delete, presigned GET URLs, and a
 * probe of the bucket. Credentials come from the config or, when it names none, from the standard
 * AWS chain (environment, shared files, instance role). The SDK's own retries are off: the sync
 * worker retries with its own backoff and records every failure.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Agent } from 'node:https';

export interface S3Settings {
  endpoint: string;
  region: string;
  bucket: string;
  path_style: boolean;
  access_key_id: string;
  secret_access_key: string;
  multipart_threshold_bytes: number;
  part_size_bytes: number;
  /** PEM of a private CA for an https endpoint (null: the system CAs). */
  ca?: Uint8Array | null;
}

export interface PutInfo {
  sha256Hex: string;
  contentType: string;
  metadata: Record<string, string>;
}

/** What a failure means for the sync worker ('local': the local file could not be read). */
export type S3FailureKind = 'unauthorized' | 'no_bucket' | 'unreachable' | 'checksum' | 'server' | 'client' | 'local';

export class S3Error extends Error {
  constructor(
    readonly kind: S3FailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

/** Map an SDK or network error to a kind and a sentence for status and logs. */
export function classifyS3Error(e: unknown): S3Error {
  if (e instanceof S3Error) return e;
  const err = e as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
  const status = err.$metadata?.httpStatusCode;
  // A response without a body (HeadBucket, a 403 from a proxy) has no error code: say the status.
  const name = err.name && err.name !== 'Unknown' ? err.name : status ? `HTTP ${status}` : 'Error';
  if (
    [
      'InvalidAccessKeyId',
      'SignatureDoesNotMatch',
      'AccessDenied',
      'ExpiredToken',
      'InvalidToken',
      'CredentialsProviderError',
    ].includes(name) ||
    status === 401 ||
    status === 403
  ) {
    return new S3Error('unauthorized', `the bucket refused the credentials (${name})`, { cause: e });
  }
  if (name === 'NoSuchBucket') return new S3Error('no_bucket', 'the bucket does not exist', { cause: e });
  if (['BadDigest', 'InvalidDigest', 'XAmzContentSHA256Mismatch'].includes(name))
    return new S3Error('checksum', `the server refused the checksum (${name})`, { cause: e });
  if (e instanceof S3ServiceException && status !== undefined) {
    return new S3Error(status >= 500 ? 'server' : 'client', `${name} (HTTP ${status}): ${err.message}`, { cause: e });
  }
  return new S3Error('unreachable', `the bucket is unreachable: ${err.message || name}`, { cause: e });
}

async function readLocal<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    throw new S3Error(
      'local',
      `the local file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      { cause: e },
    );
  }
}

export class S3Bucket {
  private readonly client: S3Client;

  constructor(private readonly s: S3Settings) {
    this.client = new S3Client({
      endpoint: s.endpoint || undefined,
      region: s.region,
      forcePathStyle: s.path_style,
      credentials: s.access_key_id ? { accessKeyId: s.access_key_id, secretAccessKey: s.secret_access_key } : undefined,
      maxAttempts: 1,
      ...(s.ca && { requestHandler: { httpsAgent: new Agent({ ca: Buffer.from(s.ca), keepAlive: true }) } }),
      // The SHA-256 is given explicitly; no extra CRC32 (some S3-compatible servers refuse it).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  get bucket(): string {
    return this.s.bucket;
  }

  async probe(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.s.bucket }));
    } catch (e) {
      // HeadBucket has no body: a 404 is a missing bucket.
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        throw new S3Error('no_bucket', `the bucket ${this.s.bucket} does not exist`, { cause: e });
      throw classifyS3Error(e);
    }
  }

  /**
   * Upload a local file of the given size under key: one PUT, or multipart above the threshold. A
   * file that cannot be read fails with kind 'local' (no stat first: the caller knows the size).
   */
  async putFile(key: string, path: string, size: number, info: PutInfo, signal?: AbortSignal): Promise<void> {
    try {
      if (size < this.s.multipart_threshold_bytes) {
        const body = await readLocal(path, () => Bun.file(path).bytes());
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.s.bucket,
            Key: key,
            Body: body,
            ContentLength: size,
            ContentType: info.contentType,
            ChecksumSHA256: b64(info.sha256Hex),
            Metadata: { ...info.metadata, sha256: info.sha256Hex },
          }),
          { abortSignal: signal },
        );
        return;
      }
      await this.multipart(key, path, size, info, signal);
    } catch (e) {
      throw classifyS3Error(e);
    }
  }

  private async multipart(key: string, path: string, size: number, info: PutInfo, signal?: AbortSignal): Promise<void> {
    const file = await readLocal(path, () => open(path, 'r'));
    const { UploadId } = await this.client
      .send(
        new CreateMultipartUploadCommand({
          Bucket: this.s.bucket,
          Key: key,
          ContentType: info.contentType,
          ChecksumAlgorithm: 'SHA256',
          Metadata: { ...info.metadata, sha256: info.sha256Hex },
        }),
        { abortSignal: signal },
      )
      .catch(async (e) => {
        await file.close();
        throw e;
      });
    try {
      const parts: Array<{ PartNumber: number; ETag: string; ChecksumSHA256: string }> = [];
      for (let offset = 0, n = 1; offset < size; offset += this.s.part_size_bytes, n++) {
        const len = Math.min(this.s.part_size_bytes, size - offset);
        const buf = new Uint8Array(len);
        await file.read(buf, 0, len, offset);
        const sum = createHash('sha256').update(buf).digest('base64');
        const r = await this.client.send(
          new UploadPartCommand({
            Bucket: this.s.bucket,
            Key: key,
            UploadId,
            PartNumber: n,
            Body: buf,
            ContentLength: len,
            ChecksumSHA256: sum,
          }),
          { abortSignal: signal },
        );
        parts.push({ PartNumber: n, ETag: r.ETag!, ChecksumSHA256: sum });
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.s.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
        { abortSignal: signal },
      );
    } catch (e) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.s.bucket, Key: key, UploadId }))
        .catch(() => undefined);
      throw e;
    } finally {
      await file.close();
    }
  }

  /** Size and recorded sha256 of a stored object, or null when absent. */
  async head(key: string): Promise<{ size: number; sha256: string | null } | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: key }));
      return { size: Number(r.ContentLength ?? 0), sha256: r.Metadata?.sha256 ?? null };
    } catch (e) {
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw classifyS3Error(e);
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: key }));
      return await r.Body!.transformToByteArray();
    } catch (e) {
      if ((e as Error).name === 'NoSuchKey') return null;
      throw classifyS3Error(e);
    }
  }

  /** Every object under a prefix (all pages), with its size and ETag (what changed since a listing). */
  async list(prefix: string): Promise<Array<{ key: string; size: number; etag: string }>> {
    const out: Array<{ key: string; size: number; etag: string }> = [];
    let token: string | undefined;
    do {
      const r = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.s.bucket, Prefix: prefix, ContinuationToken: token }))
        .catch((e) => {
          throw classifyS3Error(e);
        });
      for (const o of r.Contents ?? [])
        if (o.Key) out.push({ key: o.Key, size: Number(o.Size ?? 0), etag: o.ETag ?? '' });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.s.bucket, Key: key })).catch((e) => {
      throw classifyS3Error(e);
    });
  }

  /** A GET URL that works without credentials until it expires. */
  presign(key: string, expiresS: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.s.bucket, Key: key }), {
      expiresIn: expiresS,
    });
  }

  close(): void {
    this.client.destroy();
  }
}
