import { type GatehouseConfig } from '@gatehouse/config';
import {
  ApiTokenRepository,
  AuditLogRepository,
  EnrolmentRepository,
  TeamRepository,
  type UnitOfWork,
  UserRepository,
} from '@gatehouse/persistence';
import { AuditService } from '../audit/audit.service';
import { IdentityService } from './identity.service';

/** The service outside Nest (the CLI opens the database itself), its repositories built on `uow`. */
export function identityServiceOn(
  uow: UnitOfWork,
  config: Pick<GatehouseConfig, 'enrolmentTtlHours'>,
): IdentityService {
  return new IdentityService(
    uow,
    new TeamRepository(uow),
    new UserRepository(uow),
    new ApiTokenRepository(uow),
    new EnrolmentRepository(),
    new AuditService(new AuditLogRepository(uow)),
    config,
  );
}
