"""The book's footer, computed at build time by :func:`evalkit.book.footer_html`: which data the study chapters use
(bundled synthetic data, or the evaluator's, by fingerprint) and the evalkit version — true in both modes, where a
fixed ``html.extra_footer`` in ``_config.yml`` could only be true in one."""


def _set_footer(app, config):
    from evalkit.book import footer_html

    opts = dict(config.html_theme_options or {})
    opts["extra_footer"] = footer_html()
    config.html_theme_options = opts


def setup(app):
    app.connect("config-inited", _set_footer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
