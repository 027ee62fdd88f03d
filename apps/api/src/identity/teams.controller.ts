import { IdentityService, type RequestContext } from '@gatehouse/application';
import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx, Roles } from '../auth/auth.decorators';
import { CreateTeamDto, TeamDto, TeamListDto } from './identity.dto';

@ApiTags('identity')
@Authenticated()
@Controller('v1/teams')
export class TeamsController {
  constructor(private readonly identity: IdentityService) {}

  @Post()
  @Roles('admin')
  @ZodResponse({ status: 201, type: TeamDto })
  create(@Ctx() ctx: RequestContext, @Body() body: CreateTeamDto) {
    return this.identity.createTeam(ctx, body);
  }

  @Get()
  @ZodResponse({ type: TeamListDto })
  list() {
    return this.identity.listTeams();
  }
}
