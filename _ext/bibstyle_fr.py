"""Author–year citations in French: « Cassou, Mousquès et Franc, 2020 », « Callaway et Sant'Anna, 2021 »."""

from dataclasses import dataclass, field

from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle, PersonStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _french_persons() -> PersonStyle:
    return PersonStyle(sep2=" et ", last_sep=" et ")


@dataclass
class FrenchAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    person: PersonStyle = field(default_factory=_french_persons)
    bracket_parenthetical: BracketStyle = field(default_factory=lambda: BracketStyle(left="(", right=")"))


def setup(app):
    register_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_fr", FrenchAuthorYearReferenceStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
