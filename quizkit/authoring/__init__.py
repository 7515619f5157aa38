"""Teachers' side: deck folders (deck.toml), authored cards, lint, scaffold and preview.

Pure library code (no click, no rich): the commands in
:mod:`quizkit.commands.author_cmds` render what these modules return.
See docs/authoring.md for the deck folder and the card syntax.
"""
