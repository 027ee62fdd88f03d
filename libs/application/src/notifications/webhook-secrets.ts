import { type GatehouseConfig } from '@gatehouse/config';
import { DomainError } from '@gatehouse/domain';
import { type WebhookEndpointEntity } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../connections/secret-box';
import { InjectConfig } from '../gatehouse-config.module';

/**
 * Webhook signing secrets: `whsec_` and 32 random bytes in base64 (Standard Webhooks' form), sealed with
 * the server's secrets key (as provider connections' secrets are) and bound to their endpoint, so a sealed
 * value copied onto another endpoint does not open.
 */
@Injectable()
export class WebhookSecrets {
  private readonly box: SecretBox;

  constructor(@InjectConfig() config: GatehouseConfig) {
    this.box = SecretBox.fromConfig(config);
  }

  /** A new secret and its sealed form; refused (409, `secrets_key_configured`) when the server has no secrets key. */
  generate(endpointId: string): { secret: string; sealed: string } {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    try {
      return { secret, sealed: this.box.seal(secret, boundTo(endpointId)) };
    } catch (error) {
      if (error instanceof DomainError) {
        const message =
          'this server has no GATEHOUSE_SECRETS_KEY, so webhook signing secrets cannot be stored: an operator sets it (32 random bytes, base64) on the API and every worker';
        throw new DomainError('invalid_state', message, [], 'secrets_key_configured');
      }
      throw error;
    }
  }

  open(endpoint: Pick<WebhookEndpointEntity, 'id' | 'secretSealed'>): string {
    return this.box.open(endpoint.secretSealed, boundTo(endpoint.id));
  }
}

const boundTo = (endpointId: string) => `webhook-endpoint:${endpointId}`;
