"""The study packages (one per study) and the methods chapter. The list of studies is :mod:`evalkit.registry`."""
