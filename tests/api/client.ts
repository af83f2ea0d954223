/** A small typed GraphQL-over-HTTP client: the tests run the codegen'd typed documents, not strings. */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';

export interface GraphQLErrorBody {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLResponse<T> {
  status: number;
  headers: Headers;
  data: T | null | undefined;
  errors: GraphQLErrorBody[] | undefined;
  text: string;
}

export interface RequestOptions {
  token?: string | null;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
}

export async function gql<TResult, TVariables>(
  url: string,
  document: TypedDocumentNode<TResult, TVariables> | DocumentNode | string,
  variables?: TVariables,
  opts: RequestOptions = {},
): Promise<GraphQLResponse<TResult>> {
  const query = typeof document === 'string' ? document : print(document);
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers };
  let response: Response;
  if (opts.method === 'GET') {
    const search = new URLSearchParams({ query, ...(variables ? { variables: JSON.stringify(variables) } : {}) });
    response = await fetch(`${url}?${search}`, { headers });
  } else {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as { data?: TResult | null; errors?: GraphQLErrorBody[] }) : {};
  return { status: response.status, headers: response.headers, data: body.data, errors: body.errors, text };
}

/** The error codes of a response, in order. */
export const codes = (r: { errors?: GraphQLErrorBody[] }) => (r.errors ?? []).map((e) => e.extensions?.code);
