// The explorer's one way to data: POST /graphql with the signed-in user's access token (or
// none, as the anonymous caller). Every rule is the API's; the explorer only shows its answers.

export interface GraphQLError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string };
}

export interface Answer<T> {
  data: T | null;
  errors: GraphQLError[];
  // Paths of personal data withheld from this caller (extensions.redacted), as "a.b[0].c".
  redacted: Set<string>;
}

export class Api {
  constructor(
    private readonly token: () => string | null,
    private readonly onUnauthenticated: () => void,
  ) {}

  async query<T>(operationName: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ operationName, query, variables }) });
    } catch {
      return failed('UNAVAILABLE', 'The service cannot be reached.');
    }
    let body: { data?: T | null; errors?: GraphQLError[]; extensions?: { redacted?: string[] } };
    try {
      body = await response.json();
    } catch {
      return failed('UNAVAILABLE', `The service answered ${response.status} without a GraphQL body.`);
    }
    const answer: Answer<T> = { data: body.data ?? null, errors: body.errors ?? [], redacted: new Set(body.extensions?.redacted ?? []) };
    if (answer.errors.some((error) => error.extensions?.code === 'UNAUTHENTICATED')) {
      this.onUnauthenticated();
    }
    return answer;
  }
}

function failed<T>(code: string, message: string): Answer<T> {
  return { data: null, errors: [{ message, extensions: { code } }], redacted: new Set() };
}

// errorCode is the code of the first error at path (or of any error when path is omitted).
export function errorAt(answer: Answer<unknown>, path?: string): GraphQLError | undefined {
  return answer.errors.find((error) => path === undefined || (error.path ?? []).join('.') === path || error.path?.[0] === path);
}
