export {
  detectOutOfScopeAdvice,
  ADVICE_CATEGORIES,
  type AdviceCategory,
  type AdviceFinding,
} from './out-of-scope-advice';
export {
  checkCanaryCompliance,
  detectInstructionLeak,
  type CanaryResult,
  type InstructionLeakResult,
} from './prompt-injection';
export { detectRefusal, type RefusalResult } from './refusal';
export {
  detectUkPii,
  isUkPhoneNumber,
  isValidNhsNumber,
  PII_KINDS,
  type PiiFinding,
  type PiiKind,
} from './uk-pii';
