import { type GateInput } from './gate-input';
import { type EvidenceRequirement } from './gate-policy';
import { type Judgement, judgement } from './gate-verdict';

// The `evidence` rules: what the use-case record must hold (criteria, risks, assessments, operations)
// and whether the transparency record is published.

const present = (text: string | undefined) => typeof text === 'string' && text.trim().length > 0;

export function judgeEvidence(requirement: EvidenceRequirement, input: GateInput): Judgement {
  const record = input.useCase.record;
  const assessment = (kind: string) => record.impactAssessments.find((a) => a.kind === kind);
  const assessed = (
    kind: string,
    accepted: string[],
    label: string,
    applies: boolean,
    why: string,
  ): Judgement => {
    if (!applies) {
      return judgement('pass', `not applicable: ${why}`);
    }
    const found = assessment(kind);
    if (!found) {
      return judgement('missing', `no ${label} in the record's impact assessments`);
    }
    if (found.status === 'not_required') {
      return judgement('fail', `the ${label} is marked not required, but this use case needs one`);
    }
    return accepted.includes(found.status)
      ? judgement(
          'pass',
          `${label} ${found.status.replace(/_/g, ' ')}${found.date ? ` on ${found.date}` : ''}`,
        )
      : judgement(
          'fail',
          `${label} is ${found.status.replace(/_/g, ' ')}; it must be ${accepted.join(' or ')}`,
        );
  };
  switch (requirement) {
    case 'success_criteria_defined':
      return (record.benefits.successCriteria ?? []).length > 0
        ? judgement('pass', `${record.benefits.successCriteria?.length} success criteria recorded`)
        : judgement('missing', 'no success criteria in the record (benefits.successCriteria)');
    case 'risks_recorded':
      return record.risks.length > 0
        ? judgement('pass', `${record.risks.length} risk(s) with mitigations recorded`)
        : judgement('missing', 'no risks recorded');
    case 'dpia_approved':
      return assessed(
        'dpia',
        ['approved'],
        'DPIA',
        record.data.personalData,
        'no personal data is processed',
      );
    case 'eqia_completed':
      return assessed(
        'eqia',
        ['completed', 'approved'],
        'EqIA',
        record.people.protectedCharacteristicsInScope.length > 0 || record.people.publicFacing,
        'no protected characteristics in scope and not public facing',
      );
    case 'security_review_completed':
      return assessed('security', ['completed', 'approved'], 'security review', true, '');
    case 'accessibility_review_completed':
      return assessed(
        'accessibility',
        ['completed', 'approved'],
        'accessibility review',
        record.people.publicFacing,
        'not public facing',
      );
    case 'human_oversight_described':
      return present(record.decision.humanInvolvement)
        ? judgement('pass', 'human involvement described')
        : judgement('missing', 'describe the human involvement (decision.humanInvolvement)');
    case 'kill_switch_described':
      return present(record.operations?.killSwitch)
        ? judgement('pass', 'kill switch described')
        : judgement('missing', 'describe how the tool is switched off (operations.killSwitch)');
    case 'monitoring_described':
      return present(record.operations?.monitoring)
        ? judgement('pass', 'monitoring described')
        : judgement('missing', 'describe the monitoring (operations.monitoring)');
    case 'incident_process_described':
      return present(record.operations?.incidentProcess)
        ? judgement('pass', 'incident process described')
        : judgement('missing', 'describe the incident process (operations.incidentProcess)');
    case 'transparency_record_published':
      return input.useCase.transparencyPublished
        ? judgement('pass', 'the transparency record is published')
        : judgement('missing', 'publish the transparency record first');
  }
}
