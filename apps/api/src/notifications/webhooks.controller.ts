import { type RequestContext, WebhookEndpointsService } from '@gatehouse/application';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Authenticated, Ctx, Roles } from '../auth/auth.decorators';
import {
  CreateWebhookEndpointDto,
  DeliveryDto,
  DeliveryListDto,
  DeliveryQueryDto,
  WebhookEndpointDto,
  WebhookEndpointListDto,
  WebhookEndpointWithSecretDto,
} from './notifications.dto';

/**
 * Signed webhooks (Standard Webhooks) and the notification deliveries admins watch and replay. Admins only;
 * an id that is not a UUID is 404 before the database is asked.
 */
@ApiTags('notifications')
@Authenticated()
@Roles('admin')
@Controller('v1')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookEndpointsService) {}

  /** A new endpoint; its signing secret is in this answer and nowhere else, ever. */
  @Post('webhook-endpoints')
  @ZodResponse({ status: 201, type: WebhookEndpointWithSecretDto })
  create(@Ctx() ctx: RequestContext, @Body() body: CreateWebhookEndpointDto) {
    return this.webhooks.create(ctx, body);
  }

  @Get('webhook-endpoints')
  @ZodResponse({ type: WebhookEndpointListDto })
  async list(@Ctx() ctx: RequestContext) {
    return { items: await this.webhooks.list(ctx.actor) };
  }

  /** Disables the endpoint (kept for the record): nothing more is sent to it. */
  @Delete('webhook-endpoints/:id')
  @ZodResponse({ type: WebhookEndpointDto })
  disable(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return this.webhooks.disable(ctx, id);
  }

  /** A new signing secret, shown once; the old one stops signing at once. */
  @Post('webhook-endpoints/:id/rotate-secret')
  @HttpCode(200)
  @ZodResponse({ type: WebhookEndpointWithSecretDto })
  rotate(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return this.webhooks.rotateSecret(ctx, id);
  }

  /** Deliveries (e-mails and webhooks) newest first, e.g. `?status=failed`. */
  @Get('webhook-deliveries')
  @ZodResponse({ type: DeliveryListDto })
  async deliveries(@Ctx() ctx: RequestContext, @Query() query: DeliveryQueryDto) {
    return { items: await this.webhooks.deliveries(ctx.actor, query) };
  }

  /** Sends a failed delivery again with fresh attempts (the same event id, so receivers can dedupe). */
  @Post('webhook-deliveries/:id/replay')
  @HttpCode(202)
  @ZodResponse({ status: 202, type: DeliveryDto })
  replay(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return this.webhooks.replay(ctx, id);
  }
}
