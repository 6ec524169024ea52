"""The course: what the notebooks use around the library, and nothing the library needs.

    setup.py      a notebook's first cells: install, environment line, device, seeds, short errors
    claims.py     ``Claims``: a notebook's measured claims, strict at the defaults, weak in smoke mode
    exercises.py  the checks of every implementation exercise
    solutions.py  the worked solutions a learner can reveal
    tables.py     result tables: values in, Markdown out, numbers formatted one way
    viz.py        plots: image grids, embeddings, training curves, similarity matrices
    widgets.py    the ipywidgets explorers and the live training dashboard

The course stands on everything below it; nothing below imports it.
"""
