"""The codes the FHIR export writes, each beside the page where it was confirmed (listed again in the README).

A receiving system matches on system and code, so a wrong code files a PHQ-9 total as something else without any
error. Every standard code below was looked up in a published HL7 or LOINC page before it was used; where no standard
total exists (PCL-5, PACS, the craving scale) or none could be confirmed (the adverse-event kinds, the drug), the
code is the clinic's own, under LOCAL, and the README says so. Pure data: nothing here reads the store.
"""

from __future__ import annotations

from dataclasses import dataclass

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
"""mild / moderate / severe, the app's own three severities (https://hl7.org/fhir/R4b/codesystem-adverse-event-severity.html)."""

LOCAL = "https://clinic.example/fhir"
"""The clinic's own namespace for what no standard code covers. `.example` is reserved (RFC 2606): a clinic that
shares files outside a test replaces it with a domain it owns."""
LOCAL_SCORES = LOCAL + "/CodeSystem/scores"
LOCAL_ADVERSE_EVENTS = LOCAL + "/CodeSystem/adverse-events"
CHART_NUMBERS = LOCAL + "/NamingSystem/chart-number"
QUESTIONNAIRES = LOCAL + "/Questionnaire/"
"""Each instrument's questionnaire is named by this base and the app's instrument id, except the PHQ-9, whose
LOINC form has a published canonical (PHQ9_QUESTIONNAIRE)."""


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str
    source: str
    """Where the code and its display were confirmed."""

    def coding(self) -> dict:
        return {"system": self.system, "code": self.code, "display": self.display}

    def concept(self) -> dict:
        return {"coding": [self.coding()], "text": self.display}


LOINC_PHQ9_PAGE = "https://loinc.org/44261-6 (cdn.loinc.org/44261-6)"
LOINC_VITALS_PAGE = ("https://build.fhir.org/valueset-observation-vitalsign-category.html; "
                     "https://www.hl7.org/fhir/r4/valueset-observation-vitalsignresult.html")
BH_CSSRS_PAGE = "https://build.fhir.org/ig/HL7/us-behavioral-health-profiles/QuestionnaireResponse-C-SSRS-example-1.html"
ROUTE_PAGES = ("https://hl7.org/fhir/STU3/valueset-route-codes.html; "
               "https://nrces.in/ndhm/fhir/r4/1.2/ValueSet-ndhm-route-of-administration.html (SNOMED CT Jan 2021)")

SCORE_TOTALS = {
    "phq9": Code(LOINC, "44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
                 LOINC_PHQ9_PAGE),
    "gad7": Code(LOINC, "70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
                 "https://loinc.org/69729-2 (panel listing 70274-6)"),
    "auditc": Code(LOINC, "75626-2", "Total score [AUDIT-C]", "https://loinc.org/75626-2"),
    "pcl5": Code(LOCAL_SCORES, "pcl5-total", "PCL-5 total score", "local: no LOINC total confirmed"),
    "pacs": Code(LOCAL_SCORES, "pacs-total", "Penn Alcohol Craving Scale total score",
                 "local: no LOINC total confirmed"),
    "craving_vas": Code(LOCAL_SCORES, "craving-vas", "Craving right now, visual analogue scale 0-100",
                        "local: no LOINC code confirmed"),
}
"""The code of each instrument's total, by the app's instrument id (core.rules.instruments)."""

PHQ9_PANEL = Code(LOINC, "44249-1", "PHQ-9 quick depression assessment panel [Reported.PHQ]", LOINC_PHQ9_PAGE)
PHQ9_QUESTIONNAIRE = "http://loinc.org/q/44249-1"
"""The LOINC form's canonical, as HL7 packages publish it (https://packages2.fhir.org/xig/resource/
fhir.paciosampledata%7Ccurrent/Questionnaire/44249-1)."""

CSSRS_RISK = Code(LOINC, "93374-7", "Suicide risk level", BH_CSSRS_PAGE)
CSSRS_ITEMS = {
    "q1": Code(LOINC, "93246-7", "Have you wished you were dead or wished you could go to sleep and not wake up?",
               BH_CSSRS_PAGE),
    "q2": Code(LOINC, "93247-5", "Have you actually had any thoughts of killing yourself?", BH_CSSRS_PAGE),
    "q3": Code(LOINC, "93248-3", "Have you been thinking about how you might do this?", BH_CSSRS_PAGE),
    "q4": Code(LOINC, "93249-1", "Have you had these thoughts and had some intention of acting on them?",
               BH_CSSRS_PAGE),
    "q5": Code(LOINC, "93250-9", "Have you started to work out or worked out the details of how to kill yourself? "
               "Do you intend to carry out this plan?", BH_CSSRS_PAGE),
    "behavior_lifetime": Code(LOINC, "93267-3", "Have you ever done anything, started to do anything, or prepared "
                              "to do anything to end your life?", BH_CSSRS_PAGE),
    "behavior_3mo": Code(LOINC, "93269-9", "Was this within the past 3 months?", BH_CSSRS_PAGE),
}
"""The C-SSRS screener's questions by the app's answer keys, as the HL7 behavioural-health example codes them."""

BLOOD_PRESSURE = Code(LOINC, "85354-9", "Blood pressure panel with all children optional", LOINC_VITALS_PAGE)
SYSTOLIC = Code(LOINC, "8480-6", "Systolic blood pressure", LOINC_VITALS_PAGE)
DIASTOLIC = Code(LOINC, "8462-4", "Diastolic blood pressure", LOINC_VITALS_PAGE)
HEART_RATE = Code(LOINC, "8867-4", "Heart rate", LOINC_VITALS_PAGE)
SPO2 = Code(LOINC, "2708-6", "Oxygen saturation in Arterial blood", LOINC_VITALS_PAGE)
RESPIRATORY_RATE = Code(LOINC, "9279-1", "Respiratory rate", LOINC_VITALS_PAGE)
BODY_WEIGHT = Code(LOINC, "29463-7", "Body weight", LOINC_VITALS_PAGE)


@dataclass(frozen=True)
class Unit:
    code: str
    unit: str

    def quantity(self, value) -> dict:
        return {"value": value, "unit": self.unit, "system": UCUM, "code": self.code}


MM_HG = Unit("mm[Hg]", "mm[Hg]")
PER_MINUTE = Unit("/min", "/min")
PERCENT = Unit("%", "%")
KG = Unit("kg", "kg")
MG = Unit("mg", "mg")
SCORE = Unit("{score}", "{score}")
"""LOINC's example unit for its score totals (the 'Example Units' of 44261-6 and 75626-2)."""

ROUTES = {
    "iv": Code(SNOMED, "47625008", "Intravenous route", ROUTE_PAGES),
    "im": Code(SNOMED, "78421000", "Intramuscular route", ROUTE_PAGES),
    "intranasal": Code(SNOMED, "46713006", "Nasal route", ROUTE_PAGES),
    "oral": Code(SNOMED, "26643006", "Oral route", ROUTE_PAGES),
}
"""The app's routes (core.schema.ROUTES) in SNOMED CT. The app's 'oral' is a lozenge held in the mouth or under the
tongue; it is sent as the oral route, as the clinic records it."""

MEDICATION = {"iv": "Ketamine", "im": "Ketamine", "intranasal": "Esketamine", "oral": "Ketamine"}
"""The drug by route, as text only: no RxNorm code could be confirmed, and a guessed one would be worse than none."""

SESSION_STATUS = {"in_progress": "in-progress", "discharged": "completed", "stopped": "stopped"}
"""A dosing session's status as MedicationAdministration.status (R4 codes)."""
