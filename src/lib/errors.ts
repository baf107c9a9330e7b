/**
 * Every error the API returns has a stable `code`, an HTTP status and a
 * title. The errors plugin turns them into RFC 9457 problem+json.
 */

export interface FieldError {
  /** The exact field, slash separated, with the batch index: `items/412/amount`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  /** Extension members added to the problem document. */
  readonly extra: Record<string, unknown>;

  constructor(status: number, code: string, title: string, detail: string, extra: Record<string, unknown> = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.title = title;
    this.extra = extra;
  }
}

export class ValidationError extends AppError {
  readonly errors: FieldError[];
  constructor(errors: FieldError[], detail?: string) {
    const first = errors[0];
    super(
      400,
      'validation_failed',
      'Invalid request',
      detail ??
        (errors.length === 1 && first
          ? `${first.path || 'request'}: ${first.message}`
          : `${errors.length} fields are invalid; see errors`),
      { errors },
    );
    this.errors = errors;
  }
}

export class NotFoundError extends AppError {
  constructor(detail: string) {
    super(404, 'not_found', 'Not found', detail);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, detail: string, extra: Record<string, unknown> = {}) {
    super(409, code, 'Conflict', detail, extra);
  }
}

/**
 * A write dated in a closed month: 409 naming the months, and each batch
 * item (at most the first 100 of `count`) when the service could name them.
 */
export class PeriodClosedError extends ConflictError {
  constructor(months: string[], errors: FieldError[] = [], count = errors.length, what?: string) {
    const named = months.length === 1 ? `month ${months[0]} is closed` : `months ${months.join(', ')} are closed`;
    const first = errors[0];
    const why = what ?? (count === 1 && first ? `${first.path} ${first.message}` : count > 1 ? `${count} items are dated in ${months.length === 1 ? 'it' : 'them'} (see errors)` : 'the write is dated in it');
    super('period_closed', `${named}: ${why}; nothing was written. An admin can reopen a month (POST /v1/periods/{month}/reopen) with a reason`, {
      months,
      ...(errors.length > 0 ? { errors, count } : {}),
    });
  }
}

export class UnprocessableError extends AppError {
  constructor(code: string, detail: string, extra: Record<string, unknown> = {}) {
    super(422, code, 'Unprocessable request', detail, extra);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(detail: string) {
    super(413, 'payload_too_large', 'Payload too large', detail);
  }
}

export class UnauthorizedError extends AppError {
  constructor(detail = 'a valid API key is required: Authorization: Bearer <key>') {
    super(401, 'unauthorized', 'Unauthorized', detail);
  }
}

export class ForbiddenError extends AppError {
  constructor(detail: string) {
    super(403, 'forbidden', 'Forbidden', detail);
  }
}

/** Collects field errors across a batch so one answer lists every bad item. */
export class FieldErrors {
  readonly list: FieldError[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}
