import dataclasses

import pytest

from core.rules import dosing
from core.rules.dosing import check_dose, discharge_check, pre_dose_gate


@pytest.mark.parametrize(
    ("route", "mg_per_kg", "status"),
    [
        ("iv", 0.09, "override_needed"), ("iv", 0.1, "ok"), ("iv", 0.5, "ok"), ("iv", 0.8, "ok"),
        ("iv", 0.81, "override_needed"), ("iv", 1.0, "override_needed"), ("iv", 1.01, "refused"),
        ("im", 0.19, "override_needed"), ("im", 0.2, "ok"), ("im", 2.0, "ok"), ("im", 2.01, "override_needed"),
        ("im", 2.5, "override_needed"), ("im", 2.51, "refused"),
        ("oral", 0.24, "override_needed"), ("oral", 0.25, "ok"), ("oral", 3.0, "ok"),
        ("oral", 3.01, "override_needed"), ("oral", 7.0, "override_needed"), ("oral", 7.01, "refused"),
    ],
)
def test_weight_based_dose_edges(route, mg_per_kg, status):
    c = check_dose(route=route, dose_mg=mg_per_kg * 100, weight_kg=100.0, first_session=False)
    assert c.mg_per_kg == pytest.approx(mg_per_kg)
    assert c.status == status
    assert [r.severity for r in c.reasons] == ([] if status == "ok" else [status])


def test_mg_per_kg_is_computed_and_exact_at_the_edge():
    c = check_dose(route="iv", dose_mg=56, weight_kg=70, first_session=False)
    assert c.mg_per_kg == 0.8 and c.status == "ok"


def test_contract_example():
    c = check_dose(route="iv", dose_mg=35.0, weight_kg=70.0, first_session=False)
    assert (c.mg_per_kg, c.status, c.reasons) == (0.5, "ok", [])


@pytest.mark.parametrize(
    ("dose", "first", "status", "code"),
    [
        (28, False, "ok", None), (56, False, "ok", None), (84, False, "ok", None),
        (56, True, "ok", None), (84, True, "override_needed", "first_session_dose"),
        (28, True, "override_needed", "first_session_dose"),
        (70, False, "override_needed", "not_a_device_dose"), (14, False, "override_needed", "not_a_device_dose"),
        (85, False, "refused", "above_maximum"), (112, True, "refused", "above_maximum"),
    ],
)
def test_intranasal_fixed_doses(dose, first, status, code):
    c = check_dose(route="intranasal", dose_mg=dose, weight_kg=80, first_session=first)
    assert c.status == status
    assert [r.code for r in c.reasons] == ([] if code is None else [code])
    assert c.mg_per_kg == round(dose / 80, 4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dose_mg": -5}, "Dose.*more than 0"),
        ({"dose_mg": 0}, "Dose.*more than 0"),
        ({"weight_kg": 0}, "Weight.*between 23 and 340"),
        ({"weight_kg": 400}, "Weight.*between 23 and 340"),
        ({"route": "rectal"}, "Route must be one of"),
        ({"dose_mg": "35"}, "Dose.*must be a number"),
        ({"dose_mg": float("nan")}, "Dose.*must be a number"),
        ({"first_session": "no"}, "First session must be yes or no"),
    ],
)
def test_bad_dose_input(kwargs, message):
    args = {"route": "iv", "dose_mg": 35.0, "weight_kg": 70.0, "first_session": False, **kwargs}
    with pytest.raises(ValueError, match=message):
        check_dose(**args)


GO = {"systolic_bp": 130, "diastolic_bp": 80, "heart_rate": 80, "spo2": 98, "hours_since_last_use": 30,
      "fasting_confirmed": True, "escort_confirmed": True, "hours_since_last_session": 72}


def gate(**changes):
    return pre_dose_gate(**{**GO, **changes})


def test_gate_go_with_no_reasons():
    assert (gate().status, gate().reasons) == ("go", [])


def test_gate_first_session_has_no_interval():
    assert gate(hours_since_last_session=None).status == "go"


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"systolic_bp": 141}, "hold", "bp_elevated"),
        ({"systolic_bp": 140}, "go", None),
        ({"diastolic_bp": 91}, "hold", "bp_elevated"),
        ({"diastolic_bp": 90}, "go", None),
        ({"systolic_bp": 179}, "hold", "bp_elevated"),
        ({"systolic_bp": 180}, "refused", "bp_severe"),
        ({"diastolic_bp": 109}, "hold", "bp_elevated"),
        ({"diastolic_bp": 110, "systolic_bp": 150}, "refused", "bp_severe"),
        ({"spo2": 91}, "hold", "low_spo2"),
        ({"spo2": 92}, "go", None),
        ({"heart_rate": 49}, "hold", "heart_rate"),
        ({"heart_rate": 50}, "go", None),
        ({"heart_rate": 110}, "go", None),
        ({"heart_rate": 111}, "hold", "heart_rate"),
        ({"hours_since_last_use": 23.9}, "hold", "recent_use"),
        ({"hours_since_last_use": 24}, "go", None),
        ({"fasting_confirmed": False}, "hold", "not_fasting"),
        ({"escort_confirmed": False}, "refused", "no_escort"),
        ({"hours_since_last_session": 47}, "hold", "too_soon"),
        ({"hours_since_last_session": 48}, "go", None),
    ],
)
def test_each_gate_reason(changes, status, code):
    g = gate(**changes)
    assert g.status == status
    assert [r.code for r in g.reasons] == ([] if code is None else [code])
    assert all(r.source for r in g.reasons)


def test_gate_clinic_defaults_say_so():
    for changes in ({"systolic_bp": 185}, {"spo2": 90}, {"heart_rate": 40}):
        assert "clinic default" in gate(**changes).reasons[0].source


def test_gate_refusal_beats_hold_and_lists_both():
    g = gate(escort_confirmed=False, fasting_confirmed=False, spo2=90)
    assert g.status == "refused"
    assert {r.code for r in g.reasons} == {"no_escort", "not_fasting", "low_spo2"}


def test_gate_contract_example_holds_for_bp():
    g = pre_dose_gate(systolic_bp=150, diastolic_bp=85, heart_rate=80, spo2=98, hours_since_last_use=30,
                      fasting_confirmed=True, escort_confirmed=True, hours_since_last_session=72)
    assert g.status == "hold" and [r.code for r in g.reasons] == ["bp_elevated"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"systolic_bp": 400}, "Systolic"), ({"diastolic_bp": 150}, "lower than the systolic"),
        ({"spo2": 101}, "SpO2"), ({"heart_rate": 10}, "Heart rate"),
        ({"hours_since_last_use": -1}, "Hours since last use"), ({"escort_confirmed": None}, "Escort"),
    ],
)
def test_gate_bad_input(changes, message):
    with pytest.raises(ValueError, match=message):
        gate(**changes)


READY = {"minutes_monitored": 125, "systolic_bp": 138, "diastolic_bp": 88, "previous_systolic_bp": 142,
         "previous_diastolic_bp": 90, "moaa_s": 5, "dissociation": "none", "respiratory_depression": False,
         "escort_present": True}


def discharge(**changes):
    return discharge_check(**{**READY, **changes})


def test_discharge_ready():
    assert (discharge().status, discharge().reasons) == ("ready", [])


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"minutes_monitored": 119}, "monitoring_time"),
        ({"systolic_bp": 160, "previous_systolic_bp": 160}, "bp_high"),
        ({"diastolic_bp": 100, "previous_diastolic_bp": 100}, "bp_high"),
        ({"previous_systolic_bp": 130, "previous_diastolic_bp": 88}, "bp_rising"),
        ({"previous_systolic_bp": 138, "previous_diastolic_bp": 85}, "bp_rising"),
        ({"moaa_s": 4}, "sedation"),
        ({"dissociation": "mild"}, "dissociation"),
        ({"respiratory_depression": True}, "respiratory_depression"),
        ({"escort_present": False}, "no_escort"),
    ],
)
def test_each_discharge_criterion(changes, code):
    d = discharge(**changes)
    assert d.status == "not_ready" and [r.code for r in d.reasons] == [code]


@pytest.mark.parametrize(
    "changes",
    [
        {"minutes_monitored": 120},
        {"systolic_bp": 159, "diastolic_bp": 99, "previous_systolic_bp": 159, "previous_diastolic_bp": 99},
        {"previous_systolic_bp": None, "previous_diastolic_bp": None},
        {"previous_systolic_bp": 138, "previous_diastolic_bp": 88},
        {"previous_systolic_bp": 150, "previous_diastolic_bp": 95},
    ],
)
def test_discharge_edges_that_pass(changes):
    assert discharge(**changes).status == "ready"


@pytest.mark.parametrize(
    ("previous", "latest"),
    [((120, 78), (124, 80)), ((118, 76), (129, 84)), ((100, 60), (129, 84)), ((129, 84), (129, 84))],
)
def test_a_rise_within_normal_limits_does_not_hold_discharge(previous, latest):
    """Issue 25.14: 120/78 then 124/80 said "BP still rising" and held a well patient; below 130/85 is normal."""
    d = discharge(previous_systolic_bp=previous[0], previous_diastolic_bp=previous[1],
                  systolic_bp=latest[0], diastolic_bp=latest[1])
    assert (d.status, d.reasons) == ("ready", [])


@pytest.mark.parametrize(
    ("previous", "latest"),
    [((120, 78), (130, 80)), ((120, 78), (124, 85)), ((125, 80), (131, 84)), ((150, 95), (155, 96))],
)
def test_a_rise_to_the_normal_limit_or_above_still_holds_discharge(previous, latest):
    d = discharge(previous_systolic_bp=previous[0], previous_diastolic_bp=previous[1],
                  systolic_bp=latest[0], diastolic_bp=latest[1])
    assert d.status == "not_ready" and [r.code for r in d.reasons] == ["bp_rising"]
    assert "130/85" in d.reasons[0].message and "ESC/ESH" in d.reasons[0].source


def test_the_normal_limit_for_a_rise_is_a_setting():
    from core.rules.settings import DEFAULTS
    s = dataclasses.replace(DEFAULTS, discharge_rise_systolic_from=125)
    d = discharge(previous_systolic_bp=120, previous_diastolic_bp=78, systolic_bp=124, diastolic_bp=80, settings=s)
    assert d.status == "ready"
    d = discharge(previous_systolic_bp=120, previous_diastolic_bp=78, systolic_bp=125, diastolic_bp=80, settings=s)
    assert [r.code for r in d.reasons] == ["bp_rising"]


@pytest.mark.parametrize(("name", "value"), [("discharge_rise_systolic_from", 160),
                                             ("discharge_rise_diastolic_from", 100)])
def test_the_normal_limit_for_a_rise_stays_below_the_discharge_limit(name, value):
    """At the discharge limit the rise would never be the reason that holds: the safeguard would be switched off."""
    from core.rules.settings import DEFAULTS
    with pytest.raises(ValueError, match="discharge"):
        dataclasses.replace(DEFAULTS, **{name: value})


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"moaa_s": 6}, "MOAA/S"), ({"dissociation": "some"}, "Dissociation"), ({"minutes_monitored": -5}, "Minutes"),
     ({"previous_systolic_bp": 130, "previous_diastolic_bp": None}, "Diastolic")],
)
def test_discharge_bad_input(changes, message):
    with pytest.raises(ValueError, match=message):
        discharge(**changes)


def test_discharge_needs_the_previous_reading_stated():
    """Forgetting the previous BP must not pass a rising pressure as ready: the argument has no default."""
    without_previous = {k: v for k, v in READY.items() if not k.startswith("previous_")}
    with pytest.raises(TypeError, match="previous_systolic_bp"):
        discharge_check(**without_previous)


@pytest.mark.parametrize(("route", "taken", "now", "due", "overdue"), [
    ("iv", [], 0, 15, False), ("iv", [], 15, 15, False), ("iv", [], 16, 15, True),
    ("iv", [15], 20, 30, False), ("iv", [15, 30], 46, 45, True), ("im", [10], 24, 25, False),
    ("intranasal", [], 30, 15, True), ("intranasal", [30], 35, 40, False), ("intranasal", [30], 41, 40, True),
    ("intranasal", [40], 50, 55, False), ("oral", [50, 20], 60, 65, False),
])
def test_the_next_reading_is_due_every_15_minutes_and_at_40_for_intranasal(route, taken, now, due, overdue):
    assert dosing.next_reading(route, calm(taken), now) == dosing.NextReading(due, overdue)


def calm(minutes):
    """Readings at these minutes with an unremarkable blood pressure: the usual schedule."""
    return [dosing.Taken(m, 130, 82) for m in minutes]


@pytest.mark.parametrize(("route", "taken", "now"), [("nasal", [], 0), ("iv", [-5], 0), ("iv", [], -1)])
def test_the_reading_schedule_refuses_nonsense(route, taken, now):
    with pytest.raises(ValueError):
        dosing.next_reading(route, calm(taken), now)
