"""Coverage-guided fuzzing (atheris) of the partner adapters' parsers and the raw-message
decoder, run on demand: ``python -m bench.fuzz TARGET --seconds N`` (``README.md`` here).

Importing this package imports nothing of the project: the runner imports the targets
(``bench.fuzz.targets``) only once atheris is instrumenting imports.
"""
