/** Kubernetes `Status` failures: every error the emulator answers is one of these. */
import { qualifiedKind, qualifiedResource, type ResourceType } from './resource-type.js';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

/** An API failure; thrown inside the emulator and turned into a Status response. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusBody['details'],
  ) {
    super(message);
  }

  toStatus(): StatusBody {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details === undefined ? {} : { details: this.details }),
      code: this.code,
    };
  }
}

type Named = Pick<ResourceType, 'group' | 'resource' | 'kind'>;

export const errors = {
  notFound: (t: Named, name: string): ApiError =>
    new ApiError(404, 'NotFound', `${qualifiedResource(t)} "${name}" not found`, {
      name,
      group: t.group,
      kind: t.resource,
    }),
  alreadyExists: (t: Named, name: string): ApiError =>
    new ApiError(409, 'AlreadyExists', `${qualifiedResource(t)} "${name}" already exists`, {
      name,
      group: t.group,
      kind: t.resource,
    }),
  conflict: (
    t: Named,
    name: string,
    why = 'the object has been modified; please apply your changes to the latest version and try again',
  ): ApiError =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(t)} "${name}": ${why}`, {
      name,
      group: t.group,
      kind: t.resource,
    }),
  invalid: (t: Named, name: string, causes: StatusCause[]): ApiError =>
    new ApiError(
      422,
      'Invalid',
      `${qualifiedKind(t)} "${name}" is invalid: ${causes.map((c) => (c.field === undefined ? c.message : `${c.field}: ${c.message}`)).join(', ')}`,
      {
        name,
        group: t.group,
        kind: t.kind,
        causes,
      },
    ),
  badRequest: (message: string, causes?: StatusCause[]): ApiError =>
    new ApiError(400, 'BadRequest', message, causes === undefined ? undefined : { causes }),
  invalidPatch: (message: string): ApiError =>
    new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`),
  methodNotAllowed: (message: string): ApiError => new ApiError(405, 'MethodNotAllowed', message),
  unsupportedMediaType: (contentType: string): ApiError =>
    new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${contentType}`,
    ),
  gone: (message: string): ApiError => new ApiError(410, 'Expired', message),
  forbidden: (t: Named, name: string, why: string): ApiError =>
    new ApiError(403, 'Forbidden', `${qualifiedResource(t)} "${name}" is forbidden: ${why}`, {
      name,
      group: t.group,
      kind: t.resource,
    }),
  tooLarge: (): ApiError => new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'),
  tooManyRequests: (seconds: number): ApiError =>
    new ApiError(
      429,
      'TooManyRequests',
      'the server has received too many requests and has asked us to try again later',
      { retryAfterSeconds: seconds },
    ),
  internal: (message: string): ApiError => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`),
  pathNotFound: (): ApiError => new ApiError(404, 'NotFound', 'the server could not find the requested resource'),
};

/** A field-level cause, worded like the API server's field errors. */
export function fieldInvalid(field: string, value: unknown, detail: string): StatusCause {
  return {
    reason: 'FieldValueInvalid',
    field,
    message: `Invalid value: ${value === undefined ? 'null' : JSON.stringify(value)}: ${detail}`,
  };
}

export function fieldRequired(field: string, detail = ''): StatusCause {
  return {
    reason: 'FieldValueRequired',
    field,
    message: detail === '' ? 'Required value' : `Required value: ${detail}`,
  };
}

export function fieldUnsupported(field: string, value: unknown, allowed: readonly unknown[]): StatusCause {
  return {
    reason: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((v) => JSON.stringify(v)).join(', ')}`,
  };
}
