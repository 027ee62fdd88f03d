import { type Actor } from '@gatehouse/domain';

/** Who is acting and which request it came from: passed explicitly to every state-changing service call. */
export interface RequestContext {
  actor: Actor;
  requestId: string | null;
}
