"""Exporters: quizkit cards rendered for other programs (Anki packages, HTML).

``templates`` is pure (HTML fields, note types, CSS) and shared with the
HTML preview; ``anki`` writes ``.apkg`` files and imports genanki lazily.
"""
