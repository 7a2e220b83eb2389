/**
 * @module The HTTP API's errors as gRPC status codes (grpc/grpc `doc/statuscodes.md`): the same
 * AppError, the same message, the code a gRPC client expects. Pure.
 */
import type { ErrorCode } from '../shared/errors';

/** gRPC status codes by name (the numbers are the wire values). */
export const GRPC = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  config_invalid: GRPC.INTERNAL,
  not_found: GRPC.NOT_FOUND,
  bad_request: GRPC.INVALID_ARGUMENT,
  validation_failed: GRPC.INVALID_ARGUMENT,
  unauthorized: GRPC.UNAUTHENTICATED,
  forbidden: GRPC.PERMISSION_DENIED,
  payload_too_large: GRPC.RESOURCE_EXHAUSTED,
  quota_exceeded: GRPC.RESOURCE_EXHAUSTED,
  unsupported_media_type: GRPC.INVALID_ARGUMENT,
  unprocessable_image: GRPC.INVALID_ARGUMENT,
  rate_limited: GRPC.RESOURCE_EXHAUSTED,
  model_unavailable: GRPC.UNAVAILABLE,
  model_checksum_mismatch: GRPC.INTERNAL,
  store_failed: GRPC.INTERNAL,
  unavailable: GRPC.UNAVAILABLE,
  storage_full: GRPC.RESOURCE_EXHAUSTED,
  // A cancel of a finished run, an idempotency key reused with another spec: the state forbids it.
  conflict: GRPC.FAILED_PRECONDITION,
  internal: GRPC.INTERNAL,
};

export const grpcStatusOf = (code: ErrorCode): number => BY_CODE[code] ?? GRPC.INTERNAL;
