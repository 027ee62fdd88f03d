import { z } from 'zod';

/** What an admin sends to create or change a provider connection, validated once for the API and service. */
export const ALL_TEAMS = '*';
const headerToken = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name');
const headerName = headerToken.refine((name) => !SECRET_HEADER.test(name), {
  message: 'looks like a credential: put its value in `secret` (with secretHeader) so it is sealed',
});
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key|api-key|.*token.*|.*secret.*)$/i;
const headerValue = z
  .string()
  .max(2000)
  .regex(/^[^\r\n\0]*$/, 'must be one line');

const baseUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .max(2000)
  .refine((url) => !URL.canParse(url) || (new URL(url).username === '' && new URL(url).password === ''), {
    message: 'must not carry credentials: put them in `secret`',
  })
  .refine((url) => !URL.canParse(url) || (new URL(url).search === '' && new URL(url).hash === ''), {
    message: 'must not have a query or fragment',
  });

const connectionFields = {
  kind: z.enum(['openai', 'http']),
  baseUrl,
  description: z.string().max(500).nullable().optional(),
  teams: z
    .array(z.union([z.literal(ALL_TEAMS), z.uuid({ message: 'must be a team id or "*"' })]))
    .min(1)
    .max(200),
  headers: z.record(headerName, headerValue).optional(),
  secret: z
    .string()
    .min(1)
    .max(10_000)
    .regex(/^[^\r\n\0]*$/, 'must be one line')
    .nullable()
    .optional(),
  // The header the secret goes in may look like a credential: that is what it is for.
  secretHeader: headerToken.nullable().optional(),
};

export const createConnectionSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,79}$/, 'must be 1-80 of a-z, 0-9, ".", "_" or "-"'),
  ...connectionFields,
});
export const updateConnectionSchema = z.strictObject({
  ...connectionFields,
  kind: connectionFields.kind.optional(),
  baseUrl: connectionFields.baseUrl.optional(),
  teams: connectionFields.teams.optional(),
  reason: z.string().max(2000).optional(),
});

export interface ConnectionView {
  name: string;
  kind: 'openai' | 'http';
  baseUrl: string;
  description: string | null;
  /** `["*"]` for every team, else the teams' ids and names. */
  teams: { id: string; name: string }[] | ['*'];
  headerNames: string[];
  hasSecret: boolean;
  secretHeader: string | null;
  revision: number;
  createdAt: string;
  updatedAt: string;
}
