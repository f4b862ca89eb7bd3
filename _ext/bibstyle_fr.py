"""French bibliography for sphinxcontrib-bibtex.

- Citations, author–year: « Cassou, Mousquès et Franc, 2020 », « Callaway et Sant'Anna, 2021 ».
- The list of references (pybtex formatting style ``plain_fr``): authors joined by « et », « URL : » and « DOI : »
  links (every reference carries one, checked by ``tests/test_book_config.py``).
"""

from dataclasses import dataclass, field

from pybtex.plugin import register_plugin as register_pybtex_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.template import href, join, names, sentence, words, field as bfield
from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle, PersonStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _french_persons() -> PersonStyle:
    return PersonStyle(sep2=" et ", last_sep=" et ")


@dataclass
class FrenchAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    person: PersonStyle = field(default_factory=_french_persons)
    bracket_parenthetical: BracketStyle = field(default_factory=lambda: BracketStyle(left="(", right=")"))


class FrenchPlainStyle(PlainStyle):
    """pybtex's ``plain`` list of references, in French: « Cassou, M., Mousquès, J. et Franc, C. », « URL : … »,
    « DOI : … »."""

    default_name_style = "lastfirst"

    def __init__(self, **kwargs):
        kwargs.setdefault("abbreviate_names", True)
        super().__init__(**kwargs)

    def format_names(self, role, as_sentence=True):
        formatted = names(role, sep=", ", sep2=" et ", last_sep=" et ")
        return sentence[formatted] if as_sentence else formatted

    def format_url(self, e):
        url = bfield("url", raw=True)
        return words["URL\u00a0:", href[url][url]]

    def format_doi(self, e):
        doi = bfield("doi", raw=True)
        return words["DOI\u00a0:", href[join["https://doi.org/", doi]][doi]]


def setup(app):
    register_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_fr", FrenchAuthorYearReferenceStyle)
    register_pybtex_plugin("pybtex.style.formatting", "plain_fr", FrenchPlainStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
