// The frameworks' controls as data (ADR compliance-reports): each control names the checks
// (checks.ts) whose results evidence it, or — when no event can prove it — where its manual
// evidence belongs. A manual control is never reported compliant.

import type { CheckId } from "./checks.ts";

export const FRAMEWORKS = ["soc2", "hipaa", "pci", "eu-ai-act"] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface ControlDefinition {
  /** Stable id, e.g. "soc2.cc8.1-approvals". */
  readonly id: string;
  /** The framework's own reference, e.g. "CC8.1", "§164.312(b)", "Req. 10.2", "Art. 12". */
  readonly ref: string;
  readonly title: string;
  /** Checks that evidence the control from the trail; empty for a manual control. */
  readonly checks: readonly CheckId[];
  /** Evidence the trail cannot hold: what it is and where it is to be attached. */
  readonly manual?: { readonly evidence: string; readonly attachTo: string };
}

export interface FrameworkDefinition {
  readonly id: Framework;
  readonly title: string;
  readonly controls: readonly ControlDefinition[];
}

const GRC = (framework: string, control: string) =>
  `the compliance evidence store, folder ${framework}/${control} (e.g. governance/compliance-evidence/${framework}/${control}/)`;

export const FRAMEWORK_DEFINITIONS: Readonly<Record<Framework, FrameworkDefinition>> = {
  soc2: {
    id: "soc2",
    title: "SOC 2 (Trust Services Criteria: Security)",
    controls: [
      {
        id: "soc2.cc8.1-approvals",
        ref: "CC8.1",
        title: "Changes to production are authorized and approved as their rule requires",
        checks: ["change-approvals", "decisions-stamped"],
      },
      {
        id: "soc2.cc8.1-segregation",
        ref: "CC8.1 / CC5.1",
        title: "Segregation of duties: no one approves their own change; AI never approves",
        checks: ["segregation-of-duties", "ai-not-approver"],
      },
      {
        id: "soc2.cc7.2-monitoring",
        ref: "CC7.2",
        title: "System activity, including every AI agent action, is logged with who, what and why",
        checks: ["ai-actions-traced"],
      },
      {
        id: "soc2.cc7.4-incident-response",
        ref: "CC7.4 / CC7.5",
        title: "Incident response is exercised: emergency stop acknowledged; rollbacks verified and reviewed",
        checks: ["emergency-stop-exercised", "rollbacks-verified-reviewed"],
      },
      {
        id: "soc2.cc6.1-access",
        ref: "CC6.1",
        title: "Access to the audit trail is role-scoped and every access is recorded",
        checks: ["access-audited"],
      },
      {
        id: "soc2.cc4.1-log-integrity",
        ref: "CC4.1 / CC7.2",
        title: "The audit trail is complete and tamper-evident (hash chain and signed checkpoints)",
        checks: ["chain-verified"],
      },
      {
        id: "soc2.c1.1-retention",
        ref: "C1.1",
        title: "Production records are retained for 7 years",
        checks: ["retention-classes"],
      },
      {
        id: "soc2.cc1.4-training",
        ref: "CC1.4",
        title: "Personnel have completed security and governance training",
        checks: [],
        manual: {
          evidence: "training completion records per approver and operator",
          attachTo: GRC("soc2", "CC1.4"),
        },
      },
      {
        id: "soc2.cc9.2-vendors",
        ref: "CC9.2",
        title: "Vendor and AI model provider agreements are signed and reviewed",
        checks: [],
        manual: {
          evidence: "signed vendor / model provider agreements and reviews",
          attachTo: GRC("soc2", "CC9.2"),
        },
      },
    ],
  },
  hipaa: {
    id: "hipaa",
    title: "HIPAA Security Rule (45 CFR Part 164, Subpart C)",
    controls: [
      {
        id: "hipaa.312b-audit-controls",
        ref: "§164.312(b)",
        title: "Audit controls record activity, including every AI agent action with model and rationale",
        checks: ["ai-actions-traced", "access-audited"],
      },
      {
        id: "hipaa.312c1-integrity",
        ref: "§164.312(c)(1)",
        title: "Integrity: the record of activity cannot be altered undetected",
        checks: ["chain-verified"],
      },
      {
        id: "hipaa.308a4-authorization",
        ref: "§164.308(a)(4)",
        title: "Information access management: production changes authorized by the required people",
        checks: ["change-approvals", "segregation-of-duties", "ai-not-approver"],
      },
      {
        id: "hipaa.312a1-access-control",
        ref: "§164.312(a)(1)",
        title: "Access control: reads of the trail are role-scoped and recorded",
        checks: ["access-audited"],
      },
      {
        id: "hipaa.308a6-incidents",
        ref: "§164.308(a)(6)",
        title: "Security incident procedures: emergency stop and rollbacks work and are reviewed",
        checks: ["emergency-stop-exercised", "rollbacks-verified-reviewed"],
      },
      {
        id: "hipaa.316b2-retention",
        ref: "§164.316(b)(2)",
        title: "Documentation retained at least 6 years (production records: 7)",
        checks: ["retention-classes"],
      },
      {
        id: "hipaa.308a5-training",
        ref: "§164.308(a)(5)",
        title: "Security awareness and training",
        checks: [],
        manual: { evidence: "training completion records", attachTo: GRC("hipaa", "164.308a5") },
      },
      {
        id: "hipaa.308b1-baa",
        ref: "§164.308(b)(1)",
        title: "Business associate agreements signed (including AI model providers handling PHI)",
        checks: [],
        manual: { evidence: "signed business associate agreements", attachTo: GRC("hipaa", "164.308b1") },
      },
      {
        id: "hipaa.308a1-risk-analysis",
        ref: "§164.308(a)(1)(ii)(A)",
        title: "Risk analysis performed and documented",
        checks: [],
        manual: { evidence: "the current risk analysis document", attachTo: GRC("hipaa", "164.308a1") },
      },
    ],
  },
  pci: {
    id: "pci",
    title: "PCI DSS v4.0",
    controls: [
      {
        id: "pci.6.5.1-change-control",
        ref: "Req. 6.5.1 / 6.5.2",
        title: "Changes to production follow change control with documented approval",
        checks: ["change-approvals", "decisions-stamped"],
      },
      {
        id: "pci.6.5.4-separation",
        ref: "Req. 6.5.4",
        title: "Roles and functions are separated: no self-approval, no AI approval",
        checks: ["segregation-of-duties", "ai-not-approver"],
      },
      {
        id: "pci.10.2-audit-logs",
        ref: "Req. 10.2",
        title: "Audit logs capture all actions, including AI agents' and access to the logs",
        checks: ["ai-actions-traced", "access-audited"],
      },
      {
        id: "pci.10.3-log-protection",
        ref: "Req. 10.3.2 / 10.3.4",
        title: "Audit logs are protected from modification (integrity verified)",
        checks: ["chain-verified"],
      },
      {
        id: "pci.10.5.1-retention",
        ref: "Req. 10.5.1",
        title: "Audit log history retained at least 12 months (production: 7 years)",
        checks: ["retention-classes"],
      },
      {
        id: "pci.12.10-incident-response",
        ref: "Req. 12.10",
        title: "Incident response plan exercised: emergency stop, verified and reviewed rollbacks",
        checks: ["emergency-stop-exercised", "rollbacks-verified-reviewed"],
      },
      {
        id: "pci.12.6-awareness",
        ref: "Req. 12.6",
        title: "Security awareness program",
        checks: [],
        manual: { evidence: "awareness training records", attachTo: GRC("pci", "12.6") },
      },
      {
        id: "pci.12.8-tpsp",
        ref: "Req. 12.8",
        title: "Third-party service provider agreements",
        checks: [],
        manual: { evidence: "written agreements with service providers", attachTo: GRC("pci", "12.8") },
      },
    ],
  },
  "eu-ai-act": {
    id: "eu-ai-act",
    title: "EU AI Act (Regulation (EU) 2024/1689), high-risk AI systems, Articles 9–15",
    controls: [
      {
        id: "euaia.art9-risk-management",
        ref: "Art. 9",
        title: "Risk management: every AI action classified and decided by versioned policy",
        checks: ["decisions-stamped"],
        manual: { evidence: "the risk management system documentation", attachTo: GRC("eu-ai-act", "art9") },
      },
      {
        id: "euaia.art10-data-governance",
        ref: "Art. 10",
        title: "Data and data governance (training, validation and testing data)",
        checks: [],
        manual: {
          evidence: "data governance and dataset documentation of each model",
          attachTo: GRC("eu-ai-act", "art10"),
        },
      },
      {
        id: "euaia.art11-technical-documentation",
        ref: "Art. 11",
        title: "Technical documentation (Annex IV)",
        checks: [],
        manual: { evidence: "the Annex IV technical documentation", attachTo: GRC("eu-ai-act", "art11") },
      },
      {
        id: "euaia.art12-record-keeping",
        ref: "Art. 12",
        title: "Record-keeping: automatic, tamper-evident logs of the AI system's actions, retained",
        checks: ["chain-verified", "ai-actions-traced", "retention-classes"],
      },
      {
        id: "euaia.art13-transparency",
        ref: "Art. 13",
        title: "Transparency: each AI action carries model and rationale shown to its overseers",
        checks: ["ai-actions-traced"],
        manual: { evidence: "instructions for use given to deployers", attachTo: GRC("eu-ai-act", "art13") },
      },
      {
        id: "euaia.art14-human-oversight",
        ref: "Art. 14",
        title: "Human oversight: humans approve risky actions, AI never approves, a stop button works",
        checks: ["change-approvals", "ai-not-approver", "segregation-of-duties", "emergency-stop-exercised"],
      },
      {
        id: "euaia.art15-accuracy-robustness",
        ref: "Art. 15",
        title: "Accuracy, robustness: failing changes rolled back, verified and reviewed",
        checks: ["rollbacks-verified-reviewed"],
        manual: {
          evidence: "accuracy metrics and robustness test results of each model",
          attachTo: GRC("eu-ai-act", "art15"),
        },
      },
    ],
  },
};
