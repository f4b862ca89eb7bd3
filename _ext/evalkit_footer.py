"""The book's footer, computed at build time by :func:`evalkit.book.footer_html`: which data the study chapters use
(bundled synthetic data, or the evaluator's, by fingerprint) and the evalkit version — true in both modes, where a
fixed ``html.extra_footer`` in ``_config.yml`` could only be true in one. On a study chapter the fingerprint is that
of the study's own file, as everywhere else on that page."""


def _set_footer(app, config):
    from evalkit.book import footer_html

    opts = dict(config.html_theme_options or {})
    opts["extra_footer"] = footer_html()
    config.html_theme_options = opts


def _page_footer(app, pagename, templatename, context, doctree):
    from evalkit import registry
    from evalkit.book import footer_html

    study = {chapter: name for name, chapter in registry.chapters().items()}.get(pagename)
    if study is not None:
        context["theme_extra_footer"] = footer_html(study)


def setup(app):
    app.connect("config-inited", _set_footer)
    app.connect("html-page-context", _page_footer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
