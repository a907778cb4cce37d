"""When two staff names would look alike on screen and on a signed record.

Every record shows who signed it by the name shown on screen, so a nurse must not be able
to appear as "Dr Demo Prescriber": not by typing the same name, nor in other capitals,
spacing or punctuation, nor with accents, full-width forms or letters of another script
that look the same. `skeleton` folds a name the way a reader's eye does, and two accounts
may not share one.

The fold follows the idea of Unicode's confusable skeleton (UTS #39), kept small enough to
read: NFKC (full-width and other compatibility forms), marks dropped, the Cyrillic and Greek
letters that look like Latin ones mapped to them (case by case, as they look), casefold,
then i, l and 1 as one letter and 0 as o, "rn" as m and "vv" as w, and only letters and
digits kept. It is deliberately eager: "Ali Khan" and "All Khan" count as alike, and an
administrator tells such names apart with a middle initial, which costs less than one
signature read as someone else's.

`mixed_script` catches the imitation of a name not yet taken: a word mixing Latin, Cyrillic
and Greek letters (UTS #39's mixed-script check, on the three scripts whose letters look
alike). A name may use any script, and different words may use different ones.
"""

from __future__ import annotations

import re
import unicodedata

LOOKALIKES = str.maketrans({
    # Cyrillic capitals and small letters drawn like Latin ones
    "А": "A", "В": "B", "Е": "E", "Ѕ": "S", "І": "I", "Ј": "J", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y", "Ү": "Y", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "l",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j",
    "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Υ": "Y", "Χ": "X",
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "υ": "u", "χ": "x", "γ": "y",
    # Latin letters without a dot or with a long form
    "ı": "i", "ȷ": "j",
})
ONE_STROKE = str.maketrans({"i": "l", "1": "l", "0": "o"})
"""After casefold: a capital I, a small l and a 1 are one stroke in many fonts; 0 and O one ring."""


def skeleton(name: str) -> str:
    """The name as the eye reads it; two names with the same skeleton look alike."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = text.translate(LOOKALIKES).casefold().translate(ONE_STROKE)
    text = text.replace("rn", "m").replace("vv", "w")
    return "".join(c for c in text if c.isalnum())


LOOKALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
WORD_BREAKS = re.compile(r"[\s\-'.’]+")


def mixed_script(name: str) -> bool:
    """True when one word holds letters of two of the scripts whose letters look alike."""
    for word in WORD_BREAKS.split(unicodedata.normalize("NFKC", name)):
        scripts = {unicodedata.name(c, "").split(" ")[0] for c in word if c.isalpha()}
        if len(scripts.intersection(LOOKALIKE_SCRIPTS)) > 1:
            return True
    return False
