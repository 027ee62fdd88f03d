import { AiUseCaseRevisionEntity } from './ai-use-case-revision.entity';
import { AiUseCaseEntity } from './ai-use-case.entity';
import { ApiTokenEntity } from './api-token.entity';
import { AuditChainHeadEntity, AuditEventEntity } from './audit-event.entity';
import { DatasetEntity, DatasetItemEntity } from './dataset.entity';
import { EnrolmentEntity } from './enrolment.entity';
import { EvaluationRunEntity, RunResultEntity } from './evaluation-run.entity';
import {
  GateApprovalEntity,
  GateEvaluationEntity,
  GatePolicyEntity,
  PilotObservationEntity,
  RunComparisonEntity,
  StageChangeEntity,
  TransparencyRecordEntity,
} from './gate.entity';
import {
  NotificationDeliveryEntity,
  NotificationEventEntity,
  WebhookEndpointEntity,
} from './notification.entity';
import {
  IngestTokenEntity,
  LiveFeedbackEntity,
  LiveInteractionEntity,
  LiveJudgeBudgetEntity,
  LiveScoreEntity,
  LiveSettingsEntity,
  WatchAlertEntity,
} from './live.entity';
import { LiveScoringLeaseEntity } from './live-scoring-lease.entity';
import { OidcSignInEntity } from './oidc-sign-in.entity';
import { ReevaluationEntity } from './reevaluation.entity';
import { ProviderConnectionEntity } from './provider-connection.entity';
import { ItemReviewEntity, ReviewSampleEntity, ReviewSampleItemEntity } from './review.entity';
import { CassetteEntity, SuiteEntity } from './suite.entity';
import { TeamEntity } from './team.entity';
import { UserEntity } from './user.entity';
import { WebSessionEntity } from './web-session.entity';

export * from './ai-use-case-revision.entity';
export * from './ai-use-case.entity';
export * from './api-token.entity';
export * from './audit-event.entity';
export * from './dataset.entity';
export * from './enrolment.entity';
export * from './evaluation-run.entity';
export * from './gate.entity';
export * from './live.entity';
export * from './live-scoring-lease.entity';
export * from './notification.entity';
export * from './oidc-sign-in.entity';
export * from './provider-connection.entity';
export * from './reevaluation.entity';
export * from './review.entity';
export * from './suite.entity';
export * from './team.entity';
export * from './user.entity';
export * from './web-session.entity';

export const ENTITIES = [
  TeamEntity,
  UserEntity,
  ApiTokenEntity,
  EnrolmentEntity,
  AiUseCaseEntity,
  AiUseCaseRevisionEntity,
  AuditEventEntity,
  AuditChainHeadEntity,
  DatasetEntity,
  DatasetItemEntity,
  SuiteEntity,
  CassetteEntity,
  EvaluationRunEntity,
  RunResultEntity,
  GatePolicyEntity,
  GateEvaluationEntity,
  GateApprovalEntity,
  StageChangeEntity,
  PilotObservationEntity,
  RunComparisonEntity,
  TransparencyRecordEntity,
  WebSessionEntity,
  ProviderConnectionEntity,
  OidcSignInEntity,
  NotificationEventEntity,
  WebhookEndpointEntity,
  NotificationDeliveryEntity,
  ReviewSampleEntity,
  ReviewSampleItemEntity,
  ItemReviewEntity,
  IngestTokenEntity,
  LiveSettingsEntity,
  LiveInteractionEntity,
  LiveScoreEntity,
  LiveFeedbackEntity,
  LiveJudgeBudgetEntity,
  LiveScoringLeaseEntity,
  WatchAlertEntity,
  ReevaluationEntity,
];
