"""Staff names that would look alike on screen and on a signed record (core.rules.names)."""

import pytest

from core import users
from core.rules.names import mixed_script, skeleton
from tests.core.test_users import ADMIN

PRESCRIBER = "Dr Demo Prescriber"


@pytest.mark.parametrize("imitation", [
    "Dr Demo Prescriber", "dr demo prescriber", "DR DEMO PRESCRIBER", "Dr. Demo Prescriber", "Dr  Demo Prescriber",
    "Dr Demo-Prescriber", "Dr Dém̈o Prescriber", "Ｄｒ Ｄｅｍｏ Ｐｒｅｓｃｒｉｂｅｒ",
    "Dr Demo Presсriber",  # Cyrillic с
    "Dr Dеmо Prеscribеr",  # Cyrillic е and о
    "Dr Demo Prescrіber",  # Cyrillic і
    "Dr Dem0 Prescriber", "Dr Demo PrescrIber", "Dr Demo Prescrlber", "Dr Demo Ρrescriber",  # Greek Ρ
    "Dr Dernо Prescriber",  # rn for m
])
def test_an_imitation_has_the_same_skeleton(imitation):
    assert skeleton(imitation) == skeleton(PRESCRIBER)


@pytest.mark.parametrize("other", ["Dr Demo Prescriber Two", "Demo Prescriber", "Dr Dana Prescriber", "Demo Nurse"])
def test_another_name_has_another_skeleton(other):
    assert skeleton(other) != skeleton(PRESCRIBER)


def test_a_nurse_cannot_be_shown_as_the_prescriber(demo_store):
    """The reported case: an account named to look like Dr Demo Prescriber on every record it signs."""
    for imitation in ("Dr Demo Prescriber", "dr. demo prescriber", "Dr Demo Presсriber",
                      "Ｄｒ Ｄｅｍｏ Ｐｒｅｓｃｒｉｂｅｒ"):
        with pytest.raises(ValueError, match="Name shown on screen: .* would look like Dr Demo Prescriber "
                                             "\\(prescriber\\)"):
            users.create_user(demo_store, ADMIN, "n2", imitation, "nurse", "a long enough password")
    assert demo_store.execute("SELECT count(*) FROM users WHERE username = 'n2'").fetchone() == (0,)
    made = users.create_user(demo_store, ADMIN, "n2", "Dr Demo Prescriber Two", "prescriber", "a long enough password")
    assert made.display_name == "Dr Demo Prescriber Two"


@pytest.mark.parametrize(("name", "mixed"), [
    ("Dr Dеmo Nurse Smith", True),  # Cyrillic е in a Latin word, like no account yet
    ("Αnna Lee", True),  # Greek capital alpha
    ("Anna Lee", False), ("Zoë O'Neil-Brown", False), ("Νίκος Παπαδόπουλος", False), ("Иван Петров", False),
    ("Anna Петрова", False),  # each word in one script
    ("Ａｎｎａ Lee", False),  # full-width Latin is Latin
])
def test_a_word_mixing_scripts_is_found(name, mixed):
    assert mixed_script(name) is mixed


def test_a_name_mixing_scripts_in_one_word_is_refused_even_when_it_imitates_nobody(demo_store):
    """A Cyrillic letter in a Latin word has no reason but to deceive: it could imitate an account made later."""
    with pytest.raises(ValueError, match="Name shown on screen: .*one alphabet"):
        users.create_user(demo_store, ADMIN, "n3", "Dana Smіth", "nurse", "a long enough password")
    assert demo_store.execute("SELECT count(*) FROM users WHERE username = 'n3'").fetchone() == (0,)
