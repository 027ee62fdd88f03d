import { type LiveSettings } from '@gatehouse/domain';
import { type IngestTokenEntity } from '@gatehouse/persistence';

/** An ingest token as anyone who may read it sees it: never the token, never its hash. */
export interface IngestTokenView {
  id: string;
  aiUseCaseId: string;
  name: string;
  /** The token's first characters (`ghi_` and 8 more), to tell tokens apart. */
  displayPrefix: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
  active: boolean;
}

/** A token just minted: the view and the token itself, in this one response only. */
export interface IssuedIngestTokenView extends IngestTokenView {
  token: string;
}

export interface IngestTokenListView {
  items: IngestTokenView[];
  /** Tokens not revoked, and how many may be at once. */
  active: number;
  maxActive: number;
}

/** A use case's live settings, stored or the defaults. */
export interface LiveSettingsView extends LiveSettings {
  aiUseCaseId: string;
  /** False while the use case has never set any: these are the defaults. */
  stored: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
}

export function toIngestTokenView(row: IngestTokenEntity): IngestTokenView {
  return {
    id: row.id,
    aiUseCaseId: row.aiUseCaseId,
    name: row.name,
    displayPrefix: row.displayPrefix,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt ? row.revokedAt.toISOString() : null,
    active: row.revokedAt === null,
  };
}
