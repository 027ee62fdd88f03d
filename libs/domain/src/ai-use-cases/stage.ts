/** test = offline evaluation on frozen datasets; learn = a bounded live pilot; scale = wider rollout. */
export const STAGES = ['proposed', 'test', 'learn', 'scale', 'retired'] as const;
export type Stage = (typeof STAGES)[number];

export const RISK_TIERS = ['low', 'medium', 'high'] as const;
export type RiskTier = (typeof RISK_TIERS)[number];

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}
