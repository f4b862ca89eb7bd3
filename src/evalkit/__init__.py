"""evalkit — shared estimators, data contracts and synthetic data for the book
« Évaluer l'exercice coordonné ».

Public entry points (import the submodules directly):

- :mod:`evalkit.contracts` — pandera schemas of the three input tables and the results table, ``DataError``;
- :mod:`evalkit.io` — ``load(study, data_dir)``, robust CSV/Parquet reading, atomic writes;
- :mod:`evalkit.estimators` — naive, 2×2 DiD, TWFE, Callaway–Sant'Anna, HonestDiD, Bacon, matching, power;
- :mod:`evalkit.simulate` — calibrated, seeded generators of the three contract tables;
- :mod:`evalkit.results` — rows of ``results/estimates.csv`` and their recording by chapters;
- :mod:`evalkit.plots` — house style for figures (French number format, Champ/Source lines, alt text);
- :mod:`evalkit.disclosure` — small-cell suppression (no count below 11);
- :mod:`evalkit.cli` — the ``evalkit`` command.
"""

__version__ = "0.1.0"
