/**
 * The CLI's HTTP client: Node's global fetch with the API key, and the two
 * ways a request fails turned into errors that print plainly: the service
 * refused it (an RFC 9457 problem, printed as `error: <status> <title>:
 * <detail>` and one line per field error), or it could not be reached.
 */

export interface FieldProblem {
  path: string;
  message: string;
}

/** An RFC 9457 problem document, as the service answers every error. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: FieldProblem[];
}

/** The service answered with an error status. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.title ?? ''}: ${problem.detail ?? ''}`);
  }
}

/** No answer: refused, unknown host, connection reset, timeout. */
export class ConnectionError extends Error {}

/** The most field errors printed: a file with an unknown campaign on every row would print thousands. */
export const MAX_PRINTED_ERRORS = 20;

/** `error: 400 Invalid request: ...` and `  line/9/amount: ...` for each field error (the first MAX_PRINTED_ERRORS). */
export function problemLines(problem: Problem): string[] {
  const title = problem.title ?? 'Error';
  const lines = [`error: ${problem.status} ${title}${problem.detail ? `: ${problem.detail}` : ''}`];
  const errors = problem.errors ?? [];
  for (const error of errors.slice(0, MAX_PRINTED_ERRORS)) lines.push(`  ${error.path}: ${error.message}`);
  if (errors.length > MAX_PRINTED_ERRORS) lines.push(`  ... and ${errors.length - MAX_PRINTED_ERRORS} more`);
  return lines;
}

export interface RequestOptions {
  query?: URLSearchParams;
  body?: Buffer;
  contentType?: string;
  accept?: string;
}

export class ApiClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly key: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  url(path: string, query?: URLSearchParams): string {
    const search = query && query.size > 0 ? `?${query.toString()}` : '';
    return `${this.baseUrl}${path}${search}`;
  }

  /** A 2xx response, its body not yet read; an ApiError for any other status. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    if (options.contentType) headers['content-type'] = options.contentType;
    if (options.accept) headers.accept = options.accept;
    let response: Response;
    try {
      response = await fetch(this.url(path, options.query), { method, headers, ...(options.body ? { body: options.body } : {}) });
    } catch (error) {
      throw new ConnectionError(connectionMessage(this.baseUrl, error));
    }
    if (response.ok) return response;
    throw new ApiError(await problemOf(response));
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, { accept: 'application/json', ...options });
    return (await response.json()) as T;
  }
}

/** The problem document of an error answer; a made-up one when the body is not one (a proxy's HTML page). */
export async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (body && typeof body === 'object') return { ...body, status: typeof body.status === 'number' ? body.status : response.status };
  } catch {
    // Not JSON: described below.
  }
  const detail = text.trim().replace(/\s+/g, ' ').slice(0, 300);
  return { status: response.status, title: response.statusText || 'Error', ...(detail ? { detail } : {}) };
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out connecting',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the answer',
  UND_ERR_SOCKET: 'connection closed by the other side',
};

/** `cannot reach the service at http://127.0.0.1:3000: connection refused (ECONNREFUSED); ...` */
export function connectionMessage(baseUrl: string, error: unknown): string {
  let cause: unknown = error;
  // fetch wraps the socket's error (sometimes twice) as `cause`.
  while (cause instanceof Error && cause.cause !== undefined && !(cause as NodeJS.ErrnoException).code) cause = cause.cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason = code ? `${REASONS[code] ?? (cause as Error).message} (${code})` : cause instanceof Error ? cause.message : String(cause);
  return `cannot reach the service at ${baseUrl}: ${reason}; is it running? Set --url or SPENDBOOK_URL`;
}
