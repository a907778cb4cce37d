"""Published reference points shown beside the clinic's own figures (clinical-rules.md section 4), with citations.

A clinic's cohort is not a trial arm: these numbers say what the trials and registries
found, so that a clinic's figure can be read against them, never as a comparison of the
same thing. The citations are as full as clinical-rules.md gives them.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_A_TRIAL_ARM = ("A clinic's cohort is not a trial arm: the patients were not randomised, follow-up and "
                   "measures differ, and small numbers move a share a lot. Read the clinic's figures beside these "
                   "reference points, not as a comparison with them.")


ORKA_2 = ("Osmind ORKA-2, retrospective real-world data from 10 community ketamine practices, 2017-2020; presented "
          "at ASKP3 2022 (the American Society of Ketamine Physicians, Psychotherapists and Practitioners' fifth "
          "annual conference), reported by McInnes A., Osmind, 20 June 2022; not yet published in a journal")
"""ORKA-2's retention figures are a conference presentation, and the citation says so."""
YALE_2342 = ("Yale Depression Research Program. Blood pressure changes during ketamine infusion for the treatment of "
             "depression: a retrospective chart review of 138 patients and 2,342 infusions at Yale Psychiatric "
             "Hospital over 7 years. Gen Hosp Psychiatry. 2024 Sep. doi:10.1016/j.genhosppsych.2024.07.001 "
             "(PMID 38991311)")


@dataclass(frozen=True)
class ReferencePoint:
    figure: str
    """The clinic figure it stands beside (a key of core.outcomes.FIGURES)."""
    finding: str
    citation: str


REFERENCE_POINTS = (
    ReferencePoint("end_of_course_abstinence",
                   "Cocaine: end-of-study abstinence 48.2 % after ketamine vs 10.7 % after midazolam",
                   "Dakwar E, et al. A single ketamine infusion combined with mindfulness-based behavioral "
                   "modification to treat cocaine dependence: a randomized clinical trial. Am J Psychiatry. "
                   "2019;176(11):923-930."),
    ReferencePoint("end_of_course_abstinence",
                   "Heroin: 1-year abstinence 50 % after 3 sessions vs 22.2 % after 1 session",
                   "Krupitsky EM, et al. Single versus repeated sessions of ketamine-assisted psychotherapy for "
                   "people with heroin dependence. J Psychoactive Drugs. 2007;39(1):13-19."),
    ReferencePoint("pda",
                   "Alcohol: percent days abstinent 10.1 points higher than placebo at 6 months",
                   "Grabski M, et al. Adjunctive ketamine with relapse prevention-based psychological therapy in the "
                   "treatment of alcohol use disorder (KARE). Am J Psychiatry. 2022;179(2):152-162."),
    ReferencePoint("completed_course",
                   "Retention: about 50 % do not finish 6 infusions",
                   ORKA_2),
    ReferencePoint("left_after_first",
                   "Retention: about 20 % leave after the first infusion",
                   ORKA_2),
    ReferencePoint("phq9_response",
                   "Depression, real-world IV ketamine: PHQ-9 response (a drop of half or more) in 53.6 % of 537 "
                   "patients, 14-31 days after a 4-8 infusion induction (Osmind ORKA-1)",
                   "McInnes LA, Qian JJ, Gargeya RS, DeBattista C, Heifets BD. A retrospective analysis of ketamine "
                   "intravenous therapy for depression in real-world care settings. J Affect Disord. 2022. "
                   "doi:10.1016/j.jad.2021.12.097 (PMID 35027209)"),
    ReferencePoint("phq9_remission",
                   "Depression, real-world IV ketamine: PHQ-9 remission (below 5) in 28.9 % of the same 537 patients "
                   "(Osmind ORKA-1)",
                   "McInnes LA, Qian JJ, Gargeya RS, DeBattista C, Heifets BD. A retrospective analysis of ketamine "
                   "intravenous therapy for depression in real-world care settings. J Affect Disord. 2022. "
                   "doi:10.1016/j.jad.2021.12.097 (PMID 35027209)"),
    ReferencePoint("severe_htn_per_session",
                   "Severe hypertension in 0.98 % of IV sessions",
                   YALE_2342),
)
