import {
  type Actor,
  assertCanMintIngestToken,
  assertCanReadLive,
  assertCanRevokeIngestToken,
  DomainError,
} from '@gatehouse/domain';
import { IngestTokenEntity, IngestTokenRepository, UnitOfWork } from '@gatehouse/persistence';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '../../audit/audit.service';
import { GateReads, isIdLike } from '../../gates/gate-reads';
import { type RequestContext } from '../../request-context';
import { IngestAuthService } from '../ingest/ingest-auth.service';
import {
  issueIngestToken,
  MAX_ACTIVE_INGEST_TOKENS,
  parseIngestTokenName,
  parseRevocation,
} from './live-admin-inputs';
import {
  type IngestTokenListView,
  type IngestTokenView,
  type IssuedIngestTokenView,
  toIngestTokenView,
} from './live-admin.views';

/**
 * A use case's ingest tokens: what its live service sends traces, feedback and heartbeats with. Minted by
 * the owning team (shown once, stored as sha256), listed without secrets, revoked by the team or an admin.
 * Who may and at which stage is the domain's (live-access). Every change is audited against the use case,
 * never with the token or its hash.
 */
@Injectable()
export class IngestTokensService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tokens: IngestTokenRepository,
    private readonly reads: GateReads,
    private readonly audit: AuditService,
    private readonly auth: IngestAuthService,
  ) {}

  async mint(context: RequestContext, useCaseId: string, body: unknown): Promise<IssuedIngestTokenView> {
    return this.uow.write(async (tx) => {
      // Locked, so concurrent mints are counted one after another against the cap.
      const useCase = await this.reads.useCase(tx, context.actor, useCaseId, true);
      assertCanMintIngestToken(context.actor, useCase);
      const name = parseIngestTokenName(body);
      if ((await this.tokens.countActive(tx, useCase.id)) >= MAX_ACTIVE_INGEST_TOKENS) {
        throw new DomainError(
          'invalid_state',
          `The AI use case already has ${MAX_ACTIVE_INGEST_TOKENS} active ingest tokens, the most it may have: revoke one that is no longer used first.`,
          [],
          'ingest_tokens_per_use_case',
        );
      }
      const issued = issueIngestToken();
      const row = Object.assign(new IngestTokenEntity(), {
        id: randomUUID(),
        aiUseCaseId: useCase.id,
        name,
        tokenHash: issued.hash,
        displayPrefix: issued.displayPrefix,
        createdBy: context.actor.id,
        createdAt: new Date(),
        revokedAt: null,
      });
      await this.tokens.insert(tx, row);
      const view = toIngestTokenView(row);
      // The event's subject is the use case; `after.id` is the token's (the view has no secret in it).
      await this.audit.record(tx, context, {
        action: 'ingest_token.issued',
        subjectType: 'ai_use_case',
        subjectId: useCase.id,
        after: view,
      });
      return { ...view, token: issued.token };
    });
  }

  /** The use case's tokens, newest first, revoked ones included; never a secret. */
  async list(caller: Actor | RequestContext, useCaseId: string): Promise<IngestTokenListView> {
    const actor = 'actor' in caller ? caller.actor : caller;
    return this.uow.read(async (tx) => {
      const useCase = await this.reads.useCase(tx, actor, useCaseId);
      assertCanReadLive(actor, useCase);
      const items = (await this.tokens.list(tx, useCase.id)).map(toIngestTokenView);
      return {
        items,
        active: items.filter((t) => t.active).length,
        maxActive: MAX_ACTIVE_INGEST_TOKENS,
      };
    });
  }

  /**
   * Revokes the token (body: nothing, or `{ reason }`). A token already revoked stays as it was (no second
   * event). A token of another use case is "not found", as is one that does not exist. Once committed, the
   * token is refused at once by every API process (`IngestAuthService.revoked`); revoking it again announces
   * it again.
   */
  async revoke(
    context: RequestContext,
    useCaseId: string,
    tokenId: string,
    body?: unknown,
  ): Promise<IngestTokenView> {
    let revokedHash: string | null = null;
    const view = await this.uow.write(async (tx) => {
      const useCase = await this.reads.useCase(tx, context.actor, useCaseId);
      assertCanRevokeIngestToken(context.actor, useCase);
      const { reason } = parseRevocation(body);
      const row = isIdLike(tokenId) ? await this.tokens.findById(tx, tokenId) : null;
      if (!row || row.aiUseCaseId !== useCase.id) {
        throw DomainError.notFound('The ingest token');
      }
      const before = toIngestTokenView(row);
      revokedHash = row.tokenHash;
      if (row.revokedAt) {
        return before;
      }
      const at = new Date();
      if (!(await this.tokens.revoke(tx, row.id, at))) {
        // Revoked by a concurrent request in between: as above.
        return toIngestTokenView((await this.tokens.findById(tx, row.id)) ?? row);
      }
      const after = toIngestTokenView(Object.assign(row, { revokedAt: at }));
      await this.audit.record(tx, context, {
        action: 'ingest_token.revoked',
        subjectType: 'ai_use_case',
        subjectId: useCase.id,
        before,
        after,
        reason,
      });
      return after;
    });
    if (revokedHash) {
      await this.auth.revoked(revokedHash);
    }
    return view;
  }
}
