"""Validated questionnaires, each defined once as data and scored by `score(...)`.

Pages render a questionnaire straight from its `Instrument` (wording, options, time
frame), so adding an instrument means adding a definition here, not page code. Bands
are the published ones and belong to the instrument; cut-offs the clinic may tune (PACS,
AUDIT-C, PCL-5 total) come from `core.rules.settings`. Answers out of range are refused,
never clamped: a wrong score would silently change a clinical decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from core.rules import validate
from core.rules.settings import Settings, resolve


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    low: int
    high: int
    options: tuple[Option, ...] = ()
    anchors: tuple[str, str] | None = None
    """For a visual-analogue item: the words at each end of the line."""


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    total: int | None
    """None for the C-SSRS screener, which triages by answers rather than a sum."""
    band: str | None
    flags: frozenset[str]
    item_scores: tuple[int, ...] = ()


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    prompt: str
    time_frame: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    source: str
    shown_verbatim: bool
    answer_kind: str = "scale"
    """"scale" (a list of item scores) or "yes_no" (the C-SSRS dict with skip logic)."""
    flags: Callable[[tuple[int, ...], int, Settings, str | None], frozenset[str]] = (
        lambda answers, total, settings, sex: frozenset()
    )

    @property
    def max_total(self) -> int:
        return sum(item.high for item in self.items)

    def band_for(self, total: int) -> str | None:
        return next((b.label for b in self.bands if b.low <= total <= b.high), None)


def _choice_items(keys_and_texts: Sequence[str], options: Sequence[Option], prefix: str) -> tuple[Item, ...]:
    low, high = options[0].value, options[-1].value
    return tuple(
        Item(f"{prefix}{n}", text, low, high, tuple(options)) for n, text in enumerate(keys_and_texts, 1)
    )


def _options(*labels: str) -> tuple[Option, ...]:
    return tuple(Option(value, label) for value, label in enumerate(labels))


FREQUENCY_2_WEEKS = _options("Not at all", "Several days", "More than half the days", "Nearly every day")

PHQ9_SEVERITY = (
    Band(0, 4, "minimal"),
    Band(5, 9, "mild"),
    Band(10, 14, "moderate"),
    Band(15, 19, "moderately severe"),
    Band(20, 27, "severe"),
)
GAD7_SEVERITY = (
    Band(0, 4, "minimal"),
    Band(5, 9, "mild"),
    Band(10, 14, "moderate"),
    Band(15, 21, "severe"),
)


def phq9_item9_positive(item9: int | None) -> bool:
    """Item 9 asks about thoughts of death or self-harm: any answer above 0 needs same-day follow-up."""
    return item9 is not None and item9 > 0


def _phq9_flags(answers, total, settings, sex) -> frozenset[str]:
    return frozenset({"suicide_risk"}) if phq9_item9_positive(answers[8]) else frozenset()


def _pcl5_flags(answers, total, settings, sex) -> frozenset[str]:
    if total >= settings.pcl5_provisional_total or pcl5_cluster_rule(answers):
        return frozenset({"provisional_ptsd"})
    return frozenset()


def pcl5_cluster_rule(answers: Sequence[int]) -> bool:
    """DSM-5 rule: an item counts at >= 2; B (1-5) >= 1, C (6-7) >= 1, D (8-14) >= 2, E (15-20) >= 2."""
    counted = [a >= 2 for a in answers]
    return sum(counted[0:5]) >= 1 and sum(counted[5:7]) >= 1 and sum(counted[7:14]) >= 2 and sum(counted[14:20]) >= 2


def _auditc_flags(answers, total, settings, sex) -> frozenset[str]:
    if sex not in ("male", "female"):
        raise ValueError("AUDIT-C: sex at birth (male or female) is needed for the cut-off")
    cut = settings.auditc_positive_male if sex == "male" else settings.auditc_positive_female
    return frozenset({"positive"}) if total >= cut else frozenset()


def _pacs_flags(answers, total, settings, sex) -> frozenset[str]:
    return frozenset({"elevated"}) if total >= settings.pacs_elevated else frozenset()


PHQ9 = Instrument(
    id="phq9",
    name="PHQ-9",
    prompt="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    time_frame="last 2 weeks",
    items=_choice_items(
        (
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            ("Moving or speaking so slowly that other people could have noticed? Or the opposite, being so "
            "fidgety or restless that you have been moving around a lot more than usual"),
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
        FREQUENCY_2_WEEKS,
        "item",
    ),
    bands=PHQ9_SEVERITY,
    source="PHQ-9 scoring (Kroenke, Spitzer; Pfizer PHQ materials)",
    shown_verbatim=True,
    flags=_phq9_flags,
)

GAD7 = Instrument(
    id="gad7",
    name="GAD-7",
    prompt="Over the last 2 weeks, how often have you been bothered by the following problems?",
    time_frame="last 2 weeks",
    items=_choice_items(
        (
            "Feeling nervous, anxious, or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid as if something awful might happen",
        ),
        FREQUENCY_2_WEEKS,
        "item",
    ),
    bands=GAD7_SEVERITY,
    source="GAD-7 scoring (Spitzer, Kroenke; Pfizer PHQ materials)",
    shown_verbatim=True,
)

PCL5 = Instrument(
    id="pcl5",
    name="PCL-5",
    prompt="In the past month, how much were you bothered by:",
    time_frame="past month",
    items=_choice_items(
        (
            "Repeated, disturbing, and unwanted memories of the stressful experience?",
            "Repeated, disturbing dreams of the stressful experience?",
            ("Suddenly feeling or acting as if the stressful experience were actually happening again "
            "(as if you were actually back there reliving it)?"),
            "Feeling very upset when something reminded you of the stressful experience?",
            ("Having strong physical reactions when something reminded you of the stressful experience "
            "(for example, heart pounding, trouble breathing, sweating)?"),
            "Avoiding memories, thoughts, or feelings related to the stressful experience?",
            ("Avoiding external reminders of the stressful experience (for example, people, places, "
            "conversations, activities, objects, or situations)?"),
            "Trouble remembering important parts of the stressful experience?",
            ("Having strong negative beliefs about yourself, other people, or the world (for example, having "
            "thoughts such as: I am bad, there is something seriously wrong with me, no one can be trusted, "
            "the world is completely dangerous)?"),
            "Blaming yourself or someone else for the stressful experience or what happened after it?",
            "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
            "Loss of interest in activities that you used to enjoy?",
            "Feeling distant or cut off from other people?",
            ("Trouble experiencing positive feelings (for example, being unable to feel happiness or have "
            "loving feelings for people close to you)?"),
            "Irritable behavior, angry outbursts, or acting aggressively?",
            "Taking too many risks or doing things that could cause you harm?",
            'Being "superalert" or watchful or on guard?',
            "Feeling jumpy or easily startled?",
            "Having difficulty concentrating?",
            "Trouble falling or staying asleep?",
        ),
        _options("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"),
        "item",
    ),
    bands=(),
    source="PCL-5 scoring (VA National Center for PTSD)",
    shown_verbatim=True,
    flags=_pcl5_flags,
)

AUDITC = Instrument(
    id="auditc",
    name="AUDIT-C",
    prompt="About your drinking in the past year:",
    time_frame="past year",
    items=(
        Item(
            "item1",
            "How often do you have a drink containing alcohol?",
            0,
            4,
            _options("Never", "Monthly or less", "2-4 times a month", "2-3 times a week", "4 or more times a week"),
        ),
        Item(
            "item2",
            "How many standard drinks containing alcohol do you have on a typical day?",
            0,
            4,
            _options("1 or 2", "3 or 4", "5 or 6", "7 to 9", "10 or more"),
        ),
        Item(
            "item3",
            "How often do you have six or more drinks on one occasion?",
            0,
            4,
            _options("Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily"),
        ),
    ),
    bands=(),
    source="AUDIT-C (Bush 1998; SAMHSA)",
    shown_verbatim=True,
    flags=_auditc_flags,
)

PACS = Instrument(
    id="pacs",
    name="Penn Alcohol Craving Scale (PACS)",
    prompt="For each question, choose the answer that best describes the past week.",
    time_frame="past week",
    items=(
        Item(
            "item1",
            "How often have you thought about drinking or about how good a drink would make you feel?",
            0,
            6,
            _options("Never", "Rarely", "Occasionally", "Sometimes", "Often", "Most of the time",
                     "Nearly all of the time"),
        ),
        Item(
            "item2",
            "At its most severe point, how strong was your craving?",
            0,
            6,
            _options("None at all", "Slight, that is, a very mild urge", "Mild urge", "Moderate urge",
                     "Strong urge, but easily controlled", "Strong urge and would have been difficult to control",
                     "Strong urge and would have drunk if it were available"),
        ),
        Item(
            "item3",
            "How much time have you spent thinking about drinking or about how good a drink would make you feel?",
            0,
            6,
            _options("None at all", "Less than 20 minutes", "21-45 minutes", "46-90 minutes", "90 minutes to 3 hours",
                     "Between 3 and 6 hours", "More than 6 hours"),
        ),
        Item(
            "item4",
            "How difficult would it have been to resist taking a drink if you had known a bottle was in your house?",
            0,
            6,
            _options("Not difficult at all", "Very mildly difficult", "Mildly difficult", "Moderately difficult",
                     "Very difficult", "Extremely difficult", "Would not be able to resist"),
        ),
        Item(
            "item5",
            "Keeping in mind your answers above, rate your overall average alcohol craving for the past week.",
            0,
            6,
            _options("Never thought about drinking and never had the urge to drink",
                     "Rarely thought about drinking and rarely had the urge to drink",
                     "Occasionally thought about drinking and occasionally had the urge to drink",
                     "Sometimes thought about drinking and sometimes had the urge to drink",
                     "Often thought about drinking and often had the urge to drink",
                     "Thought about drinking most of the time and had the urge to drink most of the time",
                     "Thought about drinking nearly all of the time and had the urge to drink nearly all of the time"),
        ),
    ),
    bands=(),
    source="PACS (Flannery 1999); cut-off Hartwell 2019",
    shown_verbatim=True,
    flags=_pacs_flags,
)

CRAVING_VAS = Instrument(
    id="craving_vas",
    name="Craving (visual analogue scale)",
    prompt="How strong is your craving right now?",
    time_frame="right now",
    items=(Item("craving", "How strong is your craving right now?", 0, 100, anchors=("Not at all", "Extremely")),),
    bands=(),
    source="Craving VAS (Dakwar 2014)",
    shown_verbatim=True,
)

CSSRS_RISK_LEVELS = ("none", "low", "moderate", "high")
"""The screener's triage levels, least to most urgent; `score("cssrs", ...).band` is one of them."""

CSSRS = Instrument(
    id="cssrs",
    name="C-SSRS screener",
    prompt="Ask questions 1 and 2. If the answer to 2 is no, go to question 6.",
    time_frame="past month (question 6: lifetime, then past 3 months)",
    items=tuple(
        Item(key, text, 0, 1, _options("No", "Yes"))
        for key, text in (
            ("q1", "Have you wished you were dead or wished you could go to sleep and not wake up?"),
            ("q2", "Have you actually had any thoughts about killing yourself?"),
            ("q3", "Have you been thinking about how you might do this?"),
            ("q4", "Have you had these thoughts and had some intention of acting on them?"),
            ("q5", ("Have you started to work out or worked out the details of how to kill yourself? "
                   "Did you intend to carry out this plan?")),
            ("behavior_lifetime", ("Have you ever done anything, started to do anything, or prepared to do "
                                  "anything to end your life?")),
            ("behavior_3mo", "Was this within the past 3 months?"),
        )
    ),
    bands=(),
    source="C-SSRS screener triage (Columbia Lighthouse Project)",
    shown_verbatim=True,
    answer_kind="yes_no",
)

CSSRS_SKIPPED_WHEN_Q2_NO = ("q3", "q4", "q5")
CSSRS_QUESTION = {"q1": "question 1", "q2": "question 2", "q3": "question 3", "q4": "question 4", "q5": "question 5",
                  "behavior_lifetime": "question 6", "behavior_3mo": "question 6 (past 3 months)"}

INSTRUMENTS: Mapping[str, Instrument] = {
    i.id: i for i in (PHQ9, GAD7, PCL5, AUDITC, PACS, CRAVING_VAS, CSSRS)
}


def get(instrument_id: str) -> Instrument:
    try:
        return INSTRUMENTS[instrument_id]
    except KeyError:
        raise ValueError(
            f"Unknown instrument {instrument_id!r}; known: {', '.join(INSTRUMENTS)}"
        ) from None


def score(instrument_id: str, answers, *, sex: str | None = None, settings: Settings | None = None) -> ScoreResult:
    """Score answers given in item order (the C-SSRS takes its yes/no dict)."""
    instrument = get(instrument_id)
    if instrument.answer_kind == "yes_no":
        return _score_cssrs(instrument, answers)
    item_scores = _item_scores(instrument, answers)
    total = sum(item_scores)
    flags = instrument.flags(item_scores, total, resolve(settings), sex)
    return ScoreResult(instrument.id, total, instrument.band_for(total), flags, item_scores)


def check_answers(instrument_id: str, answers) -> tuple[int, ...]:
    """Validate a list-answered instrument's answers without scoring it (its flags may need more context)."""
    return _item_scores(get(instrument_id), answers)


def _item_scores(instrument: Instrument, answers) -> tuple[int, ...]:
    if isinstance(answers, (str, bytes, Mapping)) or not isinstance(answers, Sequence):
        raise ValueError(f"{instrument.name}: answers must be a list in item order")
    if len(answers) > len(instrument.items):
        raise ValueError(
            f"{instrument.name} has {len(instrument.items)} items; got {len(answers)} answers"
        )
    given = list(answers) + [None] * (len(instrument.items) - len(answers))
    missing = [str(number) for number, value in enumerate(given, 1) if value is None]
    if missing:
        raise ValueError(f"{instrument.name} {_listed('item', missing)} not answered")
    scores = []
    for number, item in enumerate(instrument.items, 1):
        value = given[number - 1]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{instrument.name} item {number}: answer must be a whole number; got {value!r}")
        if not item.low <= value <= item.high:
            raise ValueError(
                f"{instrument.name} item {number}: {value} is out of range ({item.low}-{item.high})"
            )
        scores.append(value)
    return tuple(scores)


def _listed(noun: str, numbers: list[str]) -> str:
    """'item 5 is' or 'items 5, 6 and 9 are': every unanswered item named, so one pass fixes them all."""
    if len(numbers) == 1:
        return f"{noun} {numbers[0]} is"
    return f"{noun}s {', '.join(numbers[:-1])} and {numbers[-1]} are"


def cssrs_high(answers: Mapping) -> bool:
    """High risk: yes to Q4 or Q5 (asked after a yes to Q2), or behaviour within the past 3 months.

    Each of these is decided by answers alone, so the rule holds on a screener still being
    filled in: the safety banner can show the moment the answer is given.
    """
    asked_further = answers.get("q2") is True
    recent_behaviour = answers.get("behavior_lifetime") is True and answers.get("behavior_3mo") is True
    return (asked_further and (answers.get("q4") is True or answers.get("q5") is True)) or recent_behaviour


def _score_cssrs(instrument: Instrument, answers) -> ScoreResult:
    a = cssrs_answers(answers)
    if cssrs_high(a):
        risk = "high"
    elif a["q3"] or a["behavior_lifetime"]:
        risk = "moderate"
    elif a["q1"] or a["q2"]:
        risk = "low"
    else:
        risk = "none"
    return ScoreResult(instrument.id, None, risk, frozenset())


def cssrs_answers(answers) -> dict[str, bool]:
    """Checked C-SSRS answers with skipped questions filled as no.

    Q3-Q5 are asked only when Q2 is yes, and 'within 3 months' only after a lifetime yes;
    a yes to a question that should have been skipped is refused rather than ignored,
    because it means the form and the interview disagree.
    """
    name = CSSRS.name
    if not isinstance(answers, Mapping):
        raise ValueError(f"{name}: answers must be a dict of yes/no answers by question")
    known = {item.key for item in CSSRS.items}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValueError(f"{name}: unknown question(s) {', '.join(map(str, unknown))}")

    expected = ["q1", "q2", *(CSSRS_SKIPPED_WHEN_Q2_NO if answers.get("q2") else ()), "behavior_lifetime",
                *(("behavior_3mo",) if answers.get("behavior_lifetime") else ())]
    missing = [CSSRS_QUESTION[key].removeprefix("question ") for key in expected if answers.get(key) is None]
    if missing:
        raise ValueError(f"{name} {_listed('question', missing)} not answered")

    def asked(key: str) -> bool:
        return validate.yes_no(answers[key], f"{name} {CSSRS_QUESTION[key]}")

    def skipped(key: str) -> bool:
        if answers.get(key) not in (None, False):
            raise ValueError(f"{name} {CSSRS_QUESTION[key]} must be skipped (left blank) when the "
                             "question before it is no")
        return False

    checked = {"q1": asked("q1"), "q2": asked("q2")}
    for key in CSSRS_SKIPPED_WHEN_Q2_NO:
        checked[key] = asked(key) if checked["q2"] else skipped(key)
    checked["behavior_lifetime"] = asked("behavior_lifetime")
    checked["behavior_3mo"] = asked("behavior_3mo") if checked["behavior_lifetime"] else skipped("behavior_3mo")
    return checked
