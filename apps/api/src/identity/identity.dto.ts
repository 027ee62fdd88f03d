import {
  type ApiTokenView,
  type IssuedApiTokenView,
  type IssuedEnrolmentView,
  type TeamView,
  type UserView,
} from '@gatehouse/application';
import { ROLES } from '@gatehouse/domain';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { paged, pagination } from '../http/common.dto';

const name = z
  .string()
  .min(1)
  .max(120)
  .refine((v) => v.trim().length > 0, 'must not be blank');
const email = z.email({ message: 'must be an email address' }).max(254);
const reason = z.string().min(1).max(2000);
const roles = z.array(z.enum(ROLES)).min(1, 'must have at least one role').max(ROLES.length);

export class CreateTeamDto extends createZodDto(
  z.strictObject({ name, description: z.string().max(1000).optional() }),
) {}

const teamSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  createdAt: z.string(),
}) satisfies z.ZodType<TeamView>;
export class TeamDto extends createZodDto(teamSchema) {}
export class TeamListDto extends createZodDto(z.array(teamSchema.meta({ id: 'Team' }))) {}

export class CreateUserDto extends createZodDto(
  z.strictObject({
    name,
    email: email.optional(),
    teamId: z.uuid({ message: 'must be a UUID' }).nullable().optional(),
    roles,
  }),
) {}

export class UpdateUserDto extends createZodDto(
  z.strictObject({
    name: name.optional(),
    email: email.nullable().optional(),
    teamId: z.uuid({ message: 'must be a UUID' }).nullable().optional(),
    roles: roles.optional(),
    disabled: z.boolean().optional(),
    reason: reason.optional(),
  }),
) {}

const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  team: z.object({ id: z.string(), name: z.string() }).nullable(),
  roles: z.array(z.enum(ROLES)),
  rolesGrantedBy: z
    .partialRecord(z.enum(ROLES), z.string())
    .describe(
      'Who granted each role: a user id, "system" (first start) or "cli" (a server operator). A role missing here was granted before grants were recorded.',
    ),
  disabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<UserView>;
const userRef = userSchema.meta({ id: 'User' });
export class UserDto extends createZodDto(userSchema) {}
export class UserPageDto extends createZodDto(paged(userRef)) {}
export class UserListQueryDto extends createZodDto(z.strictObject(pagination)) {}

const tokenSchema = z.object({
  id: z.string(),
  userId: z.string(),
  name: z.string(),
  displayPrefix: z.string().describe('The first characters of the token, to tell tokens apart.'),
  status: z.enum(['active', 'revoked', 'expired']),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
}) satisfies z.ZodType<ApiTokenView>;
const issuedTokenSchema = tokenSchema.extend({
  token: z.string().describe('The bearer token. Shown this once; only its hash is stored.'),
}) satisfies z.ZodType<IssuedApiTokenView>;
export class ApiTokenDto extends createZodDto(tokenSchema) {}
export class ApiTokenListDto extends createZodDto(z.array(tokenSchema.meta({ id: 'ApiToken' }))) {}
export class IssuedApiTokenDto extends createZodDto(issuedTokenSchema) {}

const issuedEnrolmentSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    displayPrefix: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().describe('The enrolment token stops working at this time (unused).'),
    token: z
      .string()
      .describe(
        'The one-time enrolment token: hand it to the user, who exchanges it at POST /v1/enrolments for an API token of their own.',
      ),
  })
  .meta({ id: 'IssuedEnrolment' }) satisfies z.ZodType<IssuedEnrolmentView>;

export class CreatedUserDto extends createZodDto(
  z.object({ user: userRef, enrolment: issuedEnrolmentSchema }),
) {}

export class ReissuedEnrolmentDto extends createZodDto(
  z.object({
    enrolment: issuedEnrolmentSchema,
    revokedTokens: z.number().int().describe('How many of the user’s API tokens this revoked.'),
  }),
) {}

/** The body is optional: an empty POST re-issues without a reason. */
export class ReissueEnrolmentDto extends createZodDto(
  z.preprocess((body) => body ?? {}, z.strictObject({ reason: reason.optional() })),
) {}

export class ExchangeEnrolmentDto extends createZodDto(
  z.strictObject({
    token: z.string().min(1).max(200).describe('The one-time enrolment token an admin handed over.'),
    tokenName: name.optional().describe('A name for the API token (default "default").'),
    expiresInDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe('Days until the token stops working.'),
  }),
) {}

export class EnrolledUserDto extends createZodDto(
  z.object({ user: userRef, token: issuedTokenSchema.meta({ id: 'IssuedApiToken' }) }),
) {}

export class IssueTokenDto extends createZodDto(
  z.strictObject({
    name,
    expiresInDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe('Days until the token stops working.'),
  }),
) {}

/** The body is optional: an empty POST revokes without a reason. */
export class RevokeTokenDto extends createZodDto(
  z.preprocess((body) => body ?? {}, z.strictObject({ reason: reason.optional() })),
) {}
