import { AuditLogRepository } from '@gatehouse/persistence';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Roles } from '../auth/auth.decorators';
import { AuditChainReportDto, AuditEventPageDto, AuditEventQueryDto } from './audit-events.dto';

@ApiTags('audit')
@Authenticated()
@Roles('reviewer', 'admin')
@Controller('v1/audit-events')
export class AuditEventsController {
  constructor(private readonly auditLog: AuditLogRepository) {}

  @Get()
  @ZodResponse({ type: AuditEventPageDto })
  async list(@Query() query: AuditEventQueryDto) {
    const { limit, offset, from, to, ...filter } = query;
    const page = await this.auditLog.list(
      { ...filter, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined },
      limit,
      offset,
    );
    return { ...page, limit, offset };
  }

  @Get('verify')
  @ZodResponse({
    type: AuditChainReportDto,
    description: 'Whether the hash chain is intact, or its first broken link.',
  })
  verify() {
    return this.auditLog.verify();
  }
}
