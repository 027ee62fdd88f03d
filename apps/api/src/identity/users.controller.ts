import { IdentityService, type RequestContext } from '@gatehouse/application';
import { assertSelfOrAdmin } from '@gatehouse/domain';
import { Body, Controller, Get, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx, Public, Roles } from '../auth/auth.decorators';
import { IdParamDto } from '../http/common.dto';
import {
  ApiTokenDto,
  ApiTokenListDto,
  CreatedUserDto,
  CreateUserDto,
  EnrolledUserDto,
  ExchangeEnrolmentDto,
  IssuedApiTokenDto,
  IssueTokenDto,
  ReissuedEnrolmentDto,
  ReissueEnrolmentDto,
  RevokeTokenDto,
  UpdateUserDto,
  UserDto,
  UserListQueryDto,
  UserPageDto,
} from './identity.dto';

@ApiTags('identity')
@Authenticated()
@Controller('v1')
export class UsersController {
  constructor(private readonly identity: IdentityService) {}

  @Post('users')
  @Roles('admin')
  @ZodResponse({
    status: 201,
    type: CreatedUserDto,
    description:
      'The user and their one-time enrolment token (shown once), which the user exchanges at POST /v1/enrolments for an API token only they see.',
  })
  create(@Ctx() ctx: RequestContext, @Body() body: CreateUserDto) {
    return this.identity.createUser(ctx, body);
  }

  @Get('users')
  @Roles('admin')
  @ZodResponse({ type: UserPageDto })
  async list(@Query() query: UserListQueryDto) {
    return {
      ...(await this.identity.listUsers(query.limit, query.offset)),
      limit: query.limit,
      offset: query.offset,
    };
  }

  @Get('users/me')
  @ZodResponse({ type: UserDto })
  me(@Ctx() ctx: RequestContext) {
    return this.identity.getUser(ctx.actor.id);
  }

  @Get('users/:id')
  @ZodResponse({ type: UserDto })
  get(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    assertSelfOrAdmin(ctx.actor, id, 'Reading another user');
    return this.identity.getUser(id);
  }

  @Patch('users/:id')
  @Roles('admin')
  @ZodResponse({ type: UserDto })
  update(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: UpdateUserDto) {
    return this.identity.updateUser(ctx, id, body);
  }

  /** Before `users/:id/…`, so `me` is never read as an id. */
  @Post('users/me/tokens')
  @ZodResponse({ status: 201, type: IssuedApiTokenDto, description: 'The new token (shown once).' })
  issueOwnToken(@Ctx() ctx: RequestContext, @Body() body: IssueTokenDto) {
    return this.identity.issueToken(ctx, ctx.actor.id, body);
  }

  @Post('users/:id/enrolment')
  @Roles('admin')
  @ZodResponse({
    status: 201,
    type: ReissuedEnrolmentDto,
    description:
      'A new one-time enrolment token for the user (shown once). Revokes every API token and earlier enrolment of theirs.',
  })
  reissueEnrolment(
    @Ctx() ctx: RequestContext,
    @Param() { id }: IdParamDto,
    @Body() body: ReissueEnrolmentDto,
  ) {
    return this.identity.reissueEnrolment(ctx, id, body.reason);
  }

  @Post('enrolments')
  @Public()
  @ZodResponse({
    status: 201,
    type: EnrolledUserDto,
    description:
      'Exchanges a one-time enrolment token (no other credential needed) for the user’s own API token (shown once).',
  })
  exchangeEnrolment(@Req() request: { id?: unknown }, @Body() body: ExchangeEnrolmentDto) {
    return this.identity.exchangeEnrolment(body, request.id === undefined ? null : String(request.id));
  }

  @Get('users/:id/tokens')
  @ZodResponse({ type: ApiTokenListDto })
  tokens(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto) {
    return this.identity.listTokens(ctx, id);
  }

  @Post('users/:id/tokens')
  @ZodResponse({
    status: 201,
    type: IssuedApiTokenDto,
    description: 'The new token (shown once). Only for yourself: nobody issues tokens for someone else.',
  })
  issueToken(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: IssueTokenDto) {
    return this.identity.issueToken(ctx, id, body);
  }

  @Post('tokens/:id/revoke')
  @ZodResponse({ status: 200, type: ApiTokenDto })
  revokeToken(@Ctx() ctx: RequestContext, @Param() { id }: IdParamDto, @Body() body: RevokeTokenDto) {
    return this.identity.revokeToken(ctx, id, body.reason);
  }
}
