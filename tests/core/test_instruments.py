import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.rules.instruments import CSSRS_QUESTION, INSTRUMENTS, get, pcl5_cluster_rule, score
from core.rules.settings import DEFAULTS

SCALE_IDS = [i for i, inst in INSTRUMENTS.items() if inst.answer_kind == "scale"]


def answers_totalling(instrument_id: str, total: int, last_item: int | None = None) -> list[int]:
    """Answers in item order that sum to `total`, filled from the first item; item 9-style last item fixed if given."""
    items = get(instrument_id).items
    out, left = [], total
    fixed = last_item or 0
    left -= fixed
    for item in items[:-1] if last_item is not None else items:
        take = min(item.high, left)
        out.append(take)
        left -= take
    if last_item is not None:
        out.append(fixed)
    assert left == 0, "total not reachable"
    return out


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "moderately severe"), (19, "moderately severe"), (20, "severe"), (27, "severe")],
)
def test_phq9_band_edges(total, band):
    r = score("phq9", answers_totalling("phq9", total, last_item=0 if total <= 24 else 3))
    assert (r.total, r.band) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "severe"), (21, "severe")],
)
def test_gad7_band_edges(total, band):
    r = score("gad7", answers_totalling("gad7", total))
    assert (r.total, r.band) == (total, band)


@pytest.mark.parametrize("total", [1, 4, 13, 25])
def test_phq9_item9_flags_suicide_risk_at_any_total(total):
    r = score("phq9", answers_totalling("phq9", total, last_item=1))
    assert "suicide_risk" in r.flags


def test_phq9_item9_zero_has_no_flag_even_when_severe():
    r = score("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert r.band == "severe" and r.flags == frozenset()


def test_phq9_contract_example():
    r = score("phq9", [0, 1, 2, 3, 0, 1, 2, 3, 1])
    assert (r.total, r.band, r.flags) == (13, "moderate", frozenset({"suicide_risk"}))


def test_pcl5_total_cut_off_both_sides():
    # Spread one point per item so the cluster rule (items >= 2) cannot fire.
    at_32 = [2 if n < 12 else 1 for n in range(20)]  # 32, items >= 2 only in B, C, D
    assert sum(at_32) == 32 and not pcl5_cluster_rule(at_32)
    assert score("pcl5", at_32).flags == frozenset()
    at_33 = [4, 4, 4, 4, 4, 4, 4, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # 33, D and E clusters empty
    assert sum(at_33) == 33 and not pcl5_cluster_rule(at_33)
    assert score("pcl5", at_33).flags == {"provisional_ptsd"}


def test_pcl5_cluster_rule_flags_a_low_total():
    answers = [0] * 20
    for item in (1, 6, 8, 9, 15, 16):  # 1 of B, 1 of C, 2 of D, 2 of E, each at 2
        answers[item - 1] = 2
    r = score("pcl5", answers)
    assert r.total == 12 and r.flags == {"provisional_ptsd"}


@pytest.mark.parametrize("cluster_items", [(6, 8, 9, 15, 16), (1, 8, 9, 15, 16), (1, 6, 8, 15, 16), (1, 6, 8, 9, 15)])
def test_pcl5_cluster_rule_needs_every_cluster(cluster_items):
    answers = [0] * 20
    for item in cluster_items:
        answers[item - 1] = 4
    assert not pcl5_cluster_rule(answers)
    assert score("pcl5", answers).flags == frozenset()


def test_pcl5_item_counts_at_two_not_one():
    answers = [0] * 20
    for item in (1, 6, 8, 9, 15, 16):
        answers[item - 1] = 1
    assert not pcl5_cluster_rule(answers)


@pytest.mark.parametrize(
    ("sex", "total", "positive"),
    [("male", 3, False), ("male", 4, True), ("female", 2, False), ("female", 3, True)],
)
def test_auditc_cut_offs_by_sex(sex, total, positive):
    r = score("auditc", answers_totalling("auditc", total), sex=sex)
    assert ("positive" in r.flags) is positive
    assert r.band is None


def test_auditc_contract_example():
    assert score("auditc", [2, 1, 0], sex="female").flags == {"positive"}


def test_auditc_without_sex_is_refused():
    with pytest.raises(ValueError, match="AUDIT-C.*sex"):
        score("auditc", [1, 1, 1])


@pytest.mark.parametrize(("total", "elevated"), [(14, False), (15, True), (30, True)])
def test_pacs_elevated_cut_off(total, elevated):
    assert ("elevated" in score("pacs", answers_totalling("pacs", total)).flags) is elevated


def test_pacs_cut_off_follows_settings():
    answers = answers_totalling("pacs", 12)
    assert score("pacs", answers, settings=DEFAULTS.changed(pacs_elevated=12)).flags == {"elevated"}


@pytest.mark.parametrize("value", [0, 100])
def test_craving_vas_range(value):
    r = score("craving_vas", [value])
    assert (r.total, r.band, r.flags) == (value, None, frozenset())


def cssrs(**yes):
    answers = {"q1": False, "q2": False, "behavior_lifetime": False}
    answers.update(yes)
    if answers["q2"]:
        answers = {"q3": False, "q4": False, "q5": False, **answers}
    if answers["behavior_lifetime"]:
        answers = {"behavior_3mo": False, **answers}
    return answers


@pytest.mark.parametrize(
    ("answers", "risk"),
    [
        (cssrs(), "none"),
        (cssrs(q1=True), "low"),
        (cssrs(q2=True), "low"),
        (cssrs(q1=True, q2=True), "low"),
        (cssrs(q2=True, q3=True), "moderate"),
        (cssrs(behavior_lifetime=True), "moderate"),
        (cssrs(q2=True, q4=True), "high"),
        (cssrs(q2=True, q5=True), "high"),
        (cssrs(behavior_lifetime=True, behavior_3mo=True), "high"),
        (cssrs(q1=True, behavior_lifetime=True, behavior_3mo=True), "high"),
    ],
)
def test_cssrs_branches(answers, risk):
    r = score("cssrs", answers)
    assert r.band == risk and r.total is None


def test_cssrs_contract_example():
    answers = {"q1": True, "q2": True, "q3": False, "q4": False, "q5": False,
               "behavior_lifetime": False, "behavior_3mo": False}
    assert score("cssrs", answers).band == "low"


def test_cssrs_q3_to_q5_may_be_left_out_when_q2_is_no():
    assert score("cssrs", {"q1": True, "q2": False, "behavior_lifetime": False}).band == "low"


@pytest.mark.parametrize("skipped", ["q3", "q4", "q5"])
def test_cssrs_yes_to_a_skipped_question_is_refused(skipped):
    with pytest.raises(ValueError, match=f"C-SSRS screener {CSSRS_QUESTION[skipped]} must be skipped"):
        score("cssrs", {"q1": True, "q2": False, skipped: True, "behavior_lifetime": False})


def test_cssrs_recent_behaviour_without_lifetime_is_refused():
    with pytest.raises(ValueError, match=re.escape("question 6 (past 3 months) must be skipped")):
        score("cssrs", {"q1": False, "q2": False, "behavior_lifetime": False, "behavior_3mo": True})


@pytest.mark.parametrize("missing", ["q1", "q2", "behavior_lifetime"])
def test_cssrs_missing_asked_question_is_refused(missing):
    answers = cssrs()
    del answers[missing]
    number = re.escape(CSSRS_QUESTION[missing].removeprefix("question "))
    with pytest.raises(ValueError, match=f"C-SSRS screener question {number} is not answered"):
        score("cssrs", answers)


def test_cssrs_q3_needed_when_q2_is_yes():
    with pytest.raises(ValueError, match="question 3 is not answered"):
        score("cssrs", {"q1": True, "q2": True, "q4": False, "q5": False, "behavior_lifetime": False})


def test_cssrs_answers_must_be_yes_no():
    with pytest.raises(ValueError, match="question 1 must be yes or no"):
        score("cssrs", {**cssrs(), "q1": 1})


def test_unknown_instrument():
    with pytest.raises(ValueError, match="Unknown instrument"):
        score("audit", [0])


def test_too_many_answers():
    with pytest.raises(ValueError, match="PHQ-9 has 9 items; got 10"):
        score("phq9", [0] * 10)


@pytest.mark.parametrize("bad", [1.5, "2", True])
def test_non_integer_answer_is_refused(bad):
    with pytest.raises(ValueError, match="GAD-7 item 3"):
        score("gad7", [0, 0, bad, 0, 0, 0, 0])


def test_every_definition_is_renderable():
    for inst in INSTRUMENTS.values():
        assert inst.name and inst.prompt and inst.time_frame and inst.source and inst.items
        for item in inst.items:
            assert item.text
            assert item.options or item.anchors
            if item.options:
                assert [o.value for o in item.options] == list(range(item.low, item.high + 1))


# Property tests ---------------------------------------------------------------------------


@st.composite
def valid_answers(draw):
    inst = INSTRUMENTS[draw(st.sampled_from(SCALE_IDS))]
    return inst, [draw(st.integers(item.low, item.high)) for item in inst.items]


@given(valid_answers(), st.sampled_from(["male", "female"]))
def test_total_is_sum_of_item_scores(case, sex):
    inst, answers = case
    r = score(inst.id, answers, sex=sex)
    assert r.total == sum(answers) == sum(r.item_scores)
    assert 0 <= r.total <= inst.max_total


@given(st.sampled_from([i for i in SCALE_IDS if INSTRUMENTS[i].bands]), st.data())
def test_bands_never_decrease_as_total_rises(instrument_id, data):
    inst = INSTRUMENTS[instrument_id]
    order = [b.label for b in inst.bands]
    a = data.draw(st.integers(0, inst.max_total))
    b = data.draw(st.integers(a, inst.max_total))
    assert order.index(inst.band_for(a)) <= order.index(inst.band_for(b))


@given(valid_answers(), st.data())
def test_out_of_range_answer_names_instrument_and_item(case, data):
    inst, answers = case
    index = data.draw(st.integers(0, len(answers) - 1))
    item = inst.items[index]
    answers[index] = data.draw(st.one_of(st.integers(max_value=item.low - 1), st.integers(min_value=item.high + 1)))
    with pytest.raises(ValueError, match=rf"{re.escape(inst.name)} item {index + 1}\b.*out of range"):
        score(inst.id, answers, sex="female")


@given(valid_answers(), st.data())
def test_missing_answer_names_instrument_and_item(case, data):
    inst, answers = case
    index = data.draw(st.integers(0, len(answers) - 1))
    if data.draw(st.booleans()):
        answers[index] = None
    else:
        answers = answers[:index]
    with pytest.raises(ValueError, match=rf"{re.escape(inst.name)} items? {index + 1}\b.* not answered"):
        score(inst.id, answers, sex="female")
